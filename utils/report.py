"""`tutor report`: what learners struggle with, counted from their transcripts.

Transcripts are read one file at a time, line by line, into counters: what a
file needs while it is read (where the learner is, what they were shown) is
dropped when it ends, so a class of any size costs the memory of its counters,
not of its events. Each figure is defined in docs/instructors.md.

Where learners come from: a data folder as TUTOR_HOME lays it out
(`transcripts/NAME/COURSE__LESSON.jsonl`, `disputes/NAME.jsonl`), a learner's
folder of transcripts (the learner is the folder's name), a folder of such
folders, or transcript files themselves.
"""

import json
import re
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pockettutor.utils.errors import TutorError, UsageError

VERDICTS = ("correct", "partial", "incorrect")
TRANSCRIPT_NAME = re.compile(r"^([a-z0-9][a-z0-9-]*)__([a-z0-9][a-z0-9-]*)$")
# How many of the weakest questions and commonest misconceptions the summary lists name.
TOP = 10

# The events a figure is read from; every other kind (answers, talk, recaps...) is passed over
# unparsed. Transcripts write "event" first, so a line's kind is read from its opening characters.
EVENT_PREFIX = '{"event": "'
NEEDED = {"session", "resume", "explain", "reexplain", "analogy", "question", "hint", "grade", "advance", "dispute"}
# Long events are parsed only up to their first long field: what the report reads comes before it.
CUT_BEFORE = {
    "explain": ', "title": ',
    "reexplain": ', "title": ',
    "analogy": ', "title": ',
    "question": ', "text": ',
    "hint": ', "text": ',
    "dispute": ', "answer": ',
}
_decode = json.JSONDecoder().decode


@dataclass
class Learner:
    """One learner's records: their folder of transcripts is who they are."""

    name: str
    folder: Path
    transcripts: list = field(default_factory=list)
    disputes: Path | None = None  # disputes/NAME.jsonl, when the learner's data folder was given
    number: int = 0  # their place in the list, for --anonymous

    def label(self, anonymous):
        return f"learner {self.number}" if anonymous else self.name


def find_learners(paths):
    """The learners under `paths`, in order of name, and a notice for each path
    that holds none."""
    learners, notices, seen_files = {}, [], set()

    def learner_for(folder, disputes=None):
        key = folder.resolve()
        if key not in learners:
            learners[key] = Learner(folder.name, folder)
        if disputes is not None and disputes.is_file():
            learners[key].disputes = disputes
        return learners[key]

    def add_file(learner, path):
        key = path.resolve()
        if key not in seen_files:
            seen_files.add(key)
            learner.transcripts.append(path)

    for given in map(Path, paths):
        if not given.exists():
            notices.append(f"{given}: no such file or folder")
        elif given.is_file():
            if given.suffix != ".jsonl" or not TRANSCRIPT_NAME.match(given.stem):
                notices.append(f"{given}: not a transcript (they are named COURSE__LESSON.jsonl)")
            else:
                add_file(learner_for(given.parent.absolute()), given)
        elif given.is_dir():
            found = _learner_folders(given)
            if not found:
                notices.append(f"{given}: no learners here (a data folder holds transcripts/NAME/COURSE__LESSON.jsonl)")
            for folder, disputes in found:
                learner = learner_for(folder, disputes)
                for path in _transcripts_in(folder):
                    add_file(learner, path)
        else:
            notices.append(f"{given}: not a file or folder")
    ordered = sorted(learners.values(), key=lambda learner: (learner.name, str(learner.folder)))
    for number, learner in enumerate(ordered, 1):
        learner.number = number
        learner.transcripts.sort()
    return ordered, notices


def _transcripts_in(folder):
    return sorted(p for p in folder.glob("*.jsonl") if TRANSCRIPT_NAME.match(p.stem) and p.is_file())


def _learner_folders(folder):
    """(learner folder, their disputes file or None) under a data folder, a folder
    of learner folders, or a learner's own folder."""
    transcripts = folder / "transcripts"
    if transcripts.is_dir():
        return [
            (learner, folder / "disputes" / f"{learner.name}.jsonl")
            for learner in sorted(transcripts.iterdir())
            if learner.is_dir()
        ]
    if _transcripts_in(folder):
        return [(folder, None)]
    return [(sub, None) for sub in sorted(folder.iterdir()) if sub.is_dir() and _transcripts_in(sub)]


def _event(line):
    """A transcript line's kind and fields, or (kind, None) for a kind the report
    passes over, or (None, None) for a line that is not an event (torn, garbage)."""
    if line.startswith(EVENT_PREFIX):
        kind = line[11 : line.find('"', 11)]  # 11: len(EVENT_PREFIX)
        whole = line[-3:].rstrip().endswith("}")  # a torn line lost its end
        if kind not in NEEDED:
            return (kind, None) if whole else (None, None)
        cut = CUT_BEFORE.get(kind)
        if cut is not None and whole:
            at = line.find(cut)
            if at > 0:
                try:
                    return kind, _decode(line[:at] + "}")
                except ValueError:
                    pass  # not as the tutor writes it: read the whole line
    try:
        fields = _decode(line)
    except ValueError:
        return None, None
    if not isinstance(fields, dict) or not isinstance(fields.get("event"), str):
        return None, None
    kind = fields["event"]
    return kind, fields if kind in NEEDED else None


class QuestionFigures:
    __slots__ = (
        "learners",
        "tried",
        "first_try",
        "attempts",
        "verdicts",
        "hints",
        "skips",
        "worked",
        "seconds",
        "misconceptions",
        "disputes",
        "dispute_status",
        "overturned",
    )

    def __init__(self):
        self.learners = self.tried = self.first_try = self.attempts = self.hints = self.skips = self.worked = 0
        self.verdicts = dict.fromkeys(VERDICTS, 0)
        self.seconds = []  # one per learner: from the question shown to their first right answer
        self.misconceptions = {}
        self.disputes = dict.fromkeys(VERDICTS, 0)
        self.dispute_status = {}
        self.overturned = 0  # resolved with a label other than the verdict given


class LessonFigures:
    __slots__ = ("learners", "finished", "sessions", "questions", "analogies")

    def __init__(self):
        self.learners = self.finished = self.sessions = 0
        self.questions = {}  # (concept, question) -> QuestionFigures
        self.analogies = {}  # (concept, analogy) -> [shown, worked, failed]

    def question(self, key):
        figures = self.questions.get(key)
        if figures is None:
            figures = self.questions[key] = QuestionFigures()
        return figures


class LearnerFigures:
    __slots__ = ("lessons", "tried", "first_try", "hints", "skips", "disputes")

    def __init__(self):
        self.lessons = self.tried = self.first_try = self.hints = self.skips = self.disputes = 0


class Tally:
    """The counters, filled one transcript at a time."""

    def __init__(self, course=None):
        self.course = course
        self.lessons = {}  # lesson ref -> LessonFigures
        self.course_learners = {}  # course id -> learner numbers
        self.learners = {}  # learner number -> LearnerFigures
        self.transcripts = self.unreadable_lines = 0
        self.notices = []

    def lesson(self, ref):
        figures = self.lessons.get(ref)
        if figures is None:
            figures = self.lessons[ref] = LessonFigures()
        return figures

    def read_learner(self, learner, anonymous=False):
        for path in learner.transcripts:
            course_id, lesson_id = TRANSCRIPT_NAME.match(path.stem).groups()
            if self.course is None or course_id == self.course:
                self.read_transcript(path, f"{course_id}/{lesson_id}", learner, anonymous)
        if learner.disputes is not None:
            self.read_disputes(learner, anonymous)

    def _shown(self, path, learner, anonymous):
        return f"{learner.label(True)}'s {path.name}" if anonymous else str(path)

    def read_transcript(self, path, ref, learner, anonymous):
        lesson = self.lesson(ref)
        state = _Reading(lesson, count_disputes=learner.disputes is None)
        torn = events = 0
        try:
            # Undecodable bytes become U+FFFD: such a line is read, or skipped as garbage, alone.
            with open(path, encoding="utf-8", errors="replace") as lines:
                for line in lines:
                    kind, fields = _event(line)
                    if kind is None:
                        torn += line.strip() != ""
                        continue
                    events += 1
                    if fields is not None:
                        try:
                            state.take(kind, fields)
                        except (KeyError, TypeError, ValueError, AttributeError):
                            torn += 1  # an event without the fields the tutor writes
        except OSError as exc:
            self.notices.append(f"{self._shown(path, learner, anonymous)}: cannot read ({exc.strerror or exc})")
            return
        self.unreadable_lines += torn
        if not events:
            self.notices.append(f"{self._shown(path, learner, anonymous)}: not a transcript (no line is an event)")
            if not lesson.learners and not lesson.questions:
                del self.lessons[ref]
            return
        if torn:
            self.notices.append(f"{self._shown(path, learner, anonymous)}: {torn} unreadable line(s) skipped")
        self.transcripts += 1
        lesson.learners += 1
        lesson.finished += state.finished
        lesson.sessions += state.sessions
        for key in state.seen:
            lesson.question(key).learners += 1
        for key in state.tried:
            lesson.question(key).tried += 1
        self.course_learners.setdefault(ref.split("/")[0], set()).add(learner.number)
        mine = self.learners.setdefault(learner.number, LearnerFigures())
        mine.lessons += 1
        mine.tried += len(state.tried)
        mine.first_try += state.first_try
        mine.hints += state.hints
        mine.skips += state.skips
        mine.disputes += state.disputes

    def read_disputes(self, learner, anonymous):
        """The learner's disputes file (utils/disputes.py): each disputed verdict, and an
        instructor's resolution of one as a later line naming the dispute's id."""
        from pockettutor.utils.disputes import dispute_id

        shown = f"{learner.label(True)}'s disputes" if anonymous else str(learner.disputes)
        disputes, resolutions, torn = [], {}, 0
        try:
            with open(learner.disputes, "rb") as lines:
                for line in lines:
                    if not line.strip():
                        continue
                    try:
                        record = json.loads(line)
                        if "resolves" in record:
                            resolutions[record["resolves"]] = record.get("label")
                            continue
                        course_id, lesson_id, concept, question = record["question"].split("/")
                        disputes.append((dispute_id(line), f"{course_id}/{lesson_id}", (concept, question), record))
                    except (ValueError, KeyError, TypeError, AttributeError):
                        torn += 1
        except OSError as exc:
            self.notices.append(f"{shown}: cannot read ({exc.strerror or exc})")
            return
        for ident, ref, key, record in disputes:
            if self.course is not None and ref.split("/")[0] != self.course:
                continue
            verdict = record.get("verdict")
            if ident in resolutions:
                _count_dispute(self.lesson(ref).question(key), verdict, "resolved", resolutions[ident] != verdict)
            else:
                _count_dispute(self.lesson(ref).question(key), verdict, record.get("status"))
            self.learners.setdefault(learner.number, LearnerFigures()).disputes += 1
        if torn:
            self.notices.append(f"{shown}: {torn} unreadable line(s) skipped")
        self.unreadable_lines += torn


def _count_dispute(figures, verdict, status, overturned=False):
    if verdict in figures.disputes:
        figures.disputes[verdict] += 1
    status = str(status or "open")
    figures.dispute_status[status] = figures.dispute_status.get(status, 0) + 1
    figures.overturned += overturned


def _moment(text):
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def _strings(*values):
    """Ids and verdicts, which the tutor writes as strings; anything else makes the line unreadable."""
    if not all(isinstance(value, str) for value in values):
        raise TypeError("not a string")
    return values


class _Reading:
    """What one transcript's reading needs to remember, dropped when it ends."""

    def __init__(self, lesson, count_disputes):
        self.lesson = lesson
        self.count_disputes = count_disputes  # else the learner's disputes file counts them
        self.concept = None  # the concept being taught: question and hint events name only their question
        self.shown_at = {}  # question -> when it was first shown this session
        # Questions answered, skipped or worked through: the first of these decides "first try".
        self.tried = set()
        self.right = set()  # questions already answered right: only the first right answer is timed
        self.seen = set()
        self.pending = {}  # concept -> the analogy shown last, waiting for a verdict
        self.sessions = self.first_try = self.hints = self.skips = self.disputes = 0
        self.finished = False

    def take(self, kind, event):
        if kind == "grade":
            self._grade(event)
        elif kind == "question" and self.concept is not None:
            key = _strings(self.concept, event["question"])
            self.seen.add(key)
            self.shown_at.setdefault(key, event.get("at"))
        elif kind in ("explain", "reexplain", "analogy"):
            concept = self.concept = _strings(event["concept"])[0]
            analogy = event.get("analogy")
            if analogy:
                _strings(analogy)
                figures = self.lesson.analogies.get((concept, analogy))
                if figures is None:
                    figures = self.lesson.analogies[(concept, analogy)] = [0, 0, 0]
                figures[0] += 1
                self.pending[concept] = analogy
        elif kind == "hint" and self.concept is not None:
            key = _strings(self.concept, event["question"])
            self.seen.add(key)
            self.lesson.question(key).hints += 1
            self.hints += 1
        elif kind == "advance":
            concept, _, question = event["from"].partition("/")
            key = (concept, question)
            self.seen.add(key)
            self.tried.add(key)  # left without a right answer: its first try has been had
            if event.get("skipped"):
                self.lesson.question(key).skips += 1
                self.skips += 1
            elif event.get("worked"):
                self.lesson.question(key).worked += 1
            self.finished = self.finished or event.get("to") == "complete"
        elif kind == "session":
            self.sessions += 1
            self.shown_at = {}
        elif kind == "resume":
            self.concept = _strings(event["concept"])[0]
        elif kind == "dispute" and self.count_disputes:
            _, _, concept, question = event["question"].split("/")
            _count_dispute(self.lesson.question((concept, question)), event["verdict"], event.get("status"))
            self.disputes += 1

    def _grade(self, event):
        # Everything checked before anything is counted: a line is counted whole or not at all.
        key = _strings(event["concept"], event["question"])
        verdict = event["verdict"]
        misconceptions = event.get("misconceptions") or []
        if not isinstance(misconceptions, list):
            raise TypeError("misconceptions that are not a list")
        _strings(verdict, *misconceptions)
        self.concept = concept = key[0]
        figures = self.lesson.question(key)
        self.seen.add(key)
        figures.attempts += 1
        if verdict in figures.verdicts:
            figures.verdicts[verdict] += 1
        for misconception in misconceptions:
            figures.misconceptions[misconception] = figures.misconceptions.get(misconception, 0) + 1
        if key not in self.tried:
            self.tried.add(key)
            if verdict == "correct" and event.get("attempt") == 1:
                figures.first_try += 1
                self.first_try += 1
        if verdict == "correct" and key not in self.right:
            self.right.add(key)
            start, end = _moment(self.shown_at.get(key)), _moment(event.get("at"))
            # Both with a time zone, as the tutor writes them, or both without: else they do not compare.
            if start and end and (start.tzinfo is None) == (end.tzinfo is None) and end >= start:
                figures.seconds.append((end - start).total_seconds())
        # As the learner's profile judges a picture: the next verdict on its concept, a partial
        # answer leaving it open for the follow-up's.
        analogy = self.pending.get(concept)
        if analogy is not None and verdict in ("correct", "incorrect"):
            self.lesson.analogies[(concept, analogy)][1 if verdict == "correct" else 2] += 1
            del self.pending[concept]


def build_report(paths, library, course=None, anonymous=False):
    """The report over the learners under `paths` (see report_data), and the
    notices about what could not be read. Nothing to report is an error."""
    learners, notices = find_learners(paths)
    tally = Tally(course)
    for learner in learners:
        tally.read_learner(learner, anonymous)
    notices += tally.notices
    if not tally.learners:
        # Nothing else will be said: the error carries the notices that explain it.
        where = f" of course '{course}'" if course else ""
        missing = [f"no learner's transcripts{where} in {', '.join(map(str, paths))}"] if course or not notices else []
        raise UsageError(f"nothing to report: {'; '.join(notices + missing)}")
    return report_data(tally, learners, library, anonymous, notices), notices


def _rate(part, whole):
    return round(part / whole, 4) if whole else None


def _median(values):
    return round(statistics.median(values), 1) if values else None


class _Titles:
    """What the library says about the ids in the transcripts; None for what it no
    longer has (a transcript of a removed lesson is still reported, by its ids)."""

    def __init__(self, library, notices):
        self.library, self.notices = library, notices
        try:
            self.courses = library.courses() if library is not None else {}
            self.order = {ref: i for i, ref in enumerate(library.lesson_refs())} if library is not None else {}
        except TutorError as exc:
            notices.append(f"the lesson library cannot be read, so lessons are shown by id ({exc})")
            self.courses, self.order = {}, {}

    def course_title(self, course_id):
        course = self.courses.get(course_id)
        return course.title if course else None

    def lesson(self, ref):
        if ref not in self.order:
            return None
        try:
            return self.library.lesson(ref)
        except TutorError as exc:
            self.notices.append(f"{ref} cannot be read, so it is shown by id ({exc})")
            return None


def _in_order(known_ids, found_ids):
    """The ids found, those the lesson defines first in its own order, then the rest."""
    known = [i for i in known_ids if i in found_ids]
    return known + sorted(set(found_ids) - set(known))


def report_data(tally, learners, library, anonymous=False, notices=None):
    """The whole report as plain data: what --json prints and every rendering shows."""
    titles = _Titles(library, notices if notices is not None else [])
    refs = sorted(tally.lessons, key=lambda ref: (ref not in titles.order, titles.order.get(ref, 0), ref))
    courses, every_question, all_seconds = {}, [], []
    for ref in refs:
        course_id = ref.split("/")[0]
        if course_id not in courses:
            courses[course_id] = {
                "id": course_id,
                "title": titles.course_title(course_id),
                "learners": len(tally.course_learners.get(course_id, ())),
                "lessons": [],
            }
        lesson = _lesson_data(ref, tally.lessons[ref], titles.lesson(ref), every_question, all_seconds)
        courses[course_id]["lessons"].append(lesson)
    by_learner = []
    for learner in learners:
        mine = tally.learners.get(learner.number)
        if mine is None:
            continue
        by_learner.append(
            {
                "learner": learner.label(anonymous),
                "lessons": mine.lessons,
                "questions": mine.tried,
                "first_try": mine.first_try,
                "first_try_rate": _rate(mine.first_try, mine.tried),
                "hints": mine.hints,
                "skips": mine.skips,
                "disputes": mine.disputes,
            }
        )
    tried = sum(q["tried"] for _, q in every_question)
    first_try = sum(q["first_try"] for _, q in every_question)
    totals = {
        "questions": len(every_question),
        "tried": tried,
        "first_try": first_try,
        "first_try_rate": _rate(first_try, tried),
        "attempts": sum(q["attempts"] for _, q in every_question),
        "hints": sum(q["hints"] for _, q in every_question),
        "skips": sum(q["skips"] for _, q in every_question),
        "misconceptions": sum(m["count"] for _, q in every_question for m in q["misconceptions"]),
        "disputes": sum(q["disputes"]["count"] for _, q in every_question),
        "seconds_to_right": {"count": len(all_seconds), "median": _median(all_seconds)},
    }
    weakest = sorted(
        (pair for pair in every_question if pair[1]["tried"]),
        key=lambda pair: (pair[1]["first_try_rate"], -pair[1]["tried"], pair[0]),
    )
    hardest = [_summary_entry(where, q) for where, q in weakest[:TOP]]
    commonest = sorted(
        ({"question": where, **m} for where, q in every_question for m in q["misconceptions"]),
        key=lambda m: (-m["count"], m["question"], m["id"]),
    )
    return {
        "learners": len(by_learner),
        "anonymous": anonymous,
        "course": tally.course,
        "transcripts": tally.transcripts,
        "sessions": sum(lesson.sessions for lesson in tally.lessons.values()),
        "unreadable_lines": tally.unreadable_lines,
        "totals": totals,
        "hardest": hardest,
        "misconceptions": commonest[:TOP],
        "courses": list(courses.values()),
        "by_learner": by_learner,
    }


def _summary_entry(where, question):
    return {
        "question": where,
        "prompt": question["prompt"],
        "tried": question["tried"],
        "first_try_rate": question["first_try_rate"],
        "misconceptions": sum(m["count"] for m in question["misconceptions"]),
        "disputes": question["disputes"]["count"],
    }


def _lesson_data(ref, figures, lesson, every_question, all_seconds):
    concepts_known = {c.id: c for c in lesson.concepts} if lesson else {}
    found = {concept for concept, _ in figures.questions} | {concept for concept, _ in figures.analogies}
    concepts = []
    for concept_id in _in_order(list(concepts_known), found):
        concept = concepts_known.get(concept_id)
        questions_known = {q.id: q for q in concept.questions} if concept else {}
        analogies_known = {a.id: a for a in concept.analogies} if concept else {}
        question_ids = [q for c, q in figures.questions if c == concept_id]
        questions = []
        for question_id in _in_order(list(questions_known), question_ids):
            data = _question_data(question_id, figures.questions[(concept_id, question_id)], questions_known)
            questions.append(data)
            every_question.append((f"{ref}/{concept_id}/{question_id}", data))
            all_seconds += figures.questions[(concept_id, question_id)].seconds
        analogies = []
        for analogy_id in _in_order(list(analogies_known), [a for c, a in figures.analogies if c == concept_id]):
            shown, worked, failed = figures.analogies[(concept_id, analogy_id)]
            known = analogies_known.get(analogy_id)
            analogies.append(
                {
                    "id": analogy_id,
                    "styles": list(known.styles) if known else None,
                    "shown": shown,
                    "worked": worked,
                    "failed": failed,
                    "success_rate": _rate(worked, worked + failed),
                }
            )
        concepts.append(
            {
                "id": concept_id,
                "title": concept.label if concept else None,
                "questions": questions,
                "analogies": analogies,
            }
        )
    return {
        "id": ref,
        "title": lesson.title if lesson else None,
        "known": lesson is not None,
        "learners": figures.learners,
        "finished": figures.finished,
        "sessions": figures.sessions,
        "concepts": concepts,
    }


def _question_data(question_id, figures, known):
    question = known.get(question_id)
    described = {m.id: m.description for m in question.misconceptions} if question else {}
    misconceptions = [
        {"id": m, "description": described.get(m), "count": count}
        for m, count in sorted(figures.misconceptions.items(), key=lambda item: (-item[1], item[0]))
    ]
    return {
        "id": question_id,
        "prompt": " ".join(question.prompt.split()) if question else None,
        "learners": figures.learners,
        "tried": figures.tried,
        "first_try": figures.first_try,
        "first_try_rate": _rate(figures.first_try, figures.tried),
        "attempts": figures.attempts,
        "verdicts": dict(figures.verdicts),
        "hints": figures.hints,
        "skips": figures.skips,
        "worked_answers": figures.worked,
        "seconds_to_right": {"count": len(figures.seconds), "median": _median(figures.seconds)},
        "misconceptions": misconceptions,
        "disputes": {
            "count": sum(figures.dispute_status.values()),
            "verdicts": dict(figures.disputes),
            "status": dict(sorted(figures.dispute_status.items())),
            "overturned": figures.overturned,
        },
    }
