"""Session bookkeeping: the shared store, the position in a lesson, summaries.

Pure functions over the lesson and the profile, so the nodes stay thin and
each piece is testable alone.
"""

from rich.table import Table
from rich.text import Text

from pockettutor.utils.mastery import MASTERED
from pockettutor.utils.transcripts import Transcript


def _common(console, teacher, library, profiles, profile):
    return {"console": console, "teacher": teacher, "library": library, "profiles": profiles, "profile": profile}


def new_store(console, teacher, library, profiles, profile, lesson_ref, vocabulary):
    """The shared store every node reads and writes (schema in docs/design.md)."""
    return {
        **_common(console, teacher, library, profiles, profile),
        "vocabulary": vocabulary,
        "lesson_ref": lesson_ref,
        "lesson": None,
        "position": {"concept": 0, "question": 0},
        "turn": new_turn(),
        "transcript": Transcript(),  # in memory; run_session gives it its file
        "disputes": Transcript(),  # verdicts the learner objected to (/disagree), for instructors
        "last_verdict": None,  # the last verdict given, for /why and /disagree
        "outcome": None,
        "llm_failures": 0,
        "llm_usage": None,  # the LLM's Usage (calls, tokens) when the session uses one
        "lesson_words": set(),  # every word the lesson uses, to tell an unclear line from an answer
        "resume_command": f"tutor learn {lesson_ref}",  # printed when the session stops early
        "strong_answers": 0,  # right at the first try, no hint, strong evidence: what earns a stretch
        "stretched": [],  # CONCEPT/STRETCH ids asked this session
    }


def new_quiz_store(console, teacher, library, profiles, profile, mode, items):
    """The shared store of a review or an exam (schema in docs/design.md)."""
    return {
        **_common(console, teacher, library, profiles, profile),
        "quiz": {"mode": mode, "items": items, "index": 0, "results": [], "current": None},
        "outcome": None,
    }


def new_turn():
    """State of the question being worked on; reset when the question changes."""
    return {
        "question_shown": False,
        "answer": "",
        "probe": None,
        "probes": 0,
        "hints_used": 0,
        "attempts": 0,
        "last_grade": None,
        "skipped": False,
        "unknown_command": None,
        "command_text": None,
        "confirming": None,  # the quoted statement a confirming question asks about ("" for none)
        "confirmed": False,  # a confirming question was asked for this answer
        "said": "",  # the learner's last line that was not an answer (a question back)
        "wrong_answers": 0,  # answers graded incorrect: each brings a new picture, then a worked answer
        "smaller_asked": 0,  # smaller questions asked after "I don't know"
        "helps": 0,  # questions back and unclear lines: help, weighed like hints in mastery
        "worked": False,  # a worked answer was shown: the question is left, not answered
    }


def current(lesson, position):
    concept = lesson.concepts[position["concept"]]
    return concept, concept.questions[position["question"]]


def position_from_progress(lesson, progress):
    """Indexes for the concept and question ids saved in the profile; the start
    of the lesson if the ids no longer exist (the lesson was edited)."""
    for ci, concept in enumerate(lesson.concepts):
        if concept.id == progress.concept:
            for qi, question in enumerate(concept.questions):
                if question.id == progress.question:
                    return {"concept": ci, "question": qi}
            return {"concept": ci, "question": 0}
    return {"concept": 0, "question": 0}


def next_position(lesson, position):
    """('next_question' | 'next_concept' | 'complete', new position)."""
    concept = lesson.concepts[position["concept"]]
    if position["question"] + 1 < len(concept.questions):
        return "next_question", {"concept": position["concept"], "question": position["question"] + 1}
    if position["concept"] + 1 < len(lesson.concepts):
        return "next_concept", {"concept": position["concept"] + 1, "question": 0}
    return "complete", dict(position)


def unmet_prerequisites(library, lesson_ref, lesson, completed):
    """Prerequisite lessons, and lessons of prerequisite courses, that the
    learner has not completed."""
    course = library.courses()[lesson_ref.split("/")[0]]
    needed = list(lesson.prerequisites)
    for course_id in course.prerequisites:
        prerequisite = library.courses().get(course_id)
        needed += [f"{course_id}/{lesson_id}" for lesson_id in prerequisite.lessons] if prerequisite else []
    return [ref for ref in needed if ref not in completed]


def next_lesson(refs, profile, after):
    """The first lesson after `after`, in library order, that the learner has not
    completed; failing that the first one not completed anywhere; else None."""
    done = {ref for ref, progress in profile.lessons.items() if progress.status == "complete"}
    start = refs.index(after) + 1 if after in refs else 0
    return next((ref for ref in refs[start:] + refs[:start] if ref not in done), None)


def record_position(profile, lesson_ref, lesson, position, explained):
    progress = profile.progress(lesson_ref)
    concept, question = current(lesson, position)
    progress.concept, progress.question, progress.explained = concept.id, question.id, explained


def analogy_label(concept, analogy_id, vocabulary):
    """How a learner knows an analogy: its vocabulary name, else its id in words."""
    analogy = next((a for a in concept.analogies if a.id == analogy_id), None)
    term = vocabulary.get(analogy.term) if analogy and analogy.term else None
    if term:
        return term.name
    return "a picture written for you" if analogy is None else analogy_id.replace("-", " ")


def progress_table(lesson, lesson_ref, profile, position, transcript, vocabulary=None):
    """A table of the lesson's concepts: done, current or to come, with the
    attempts so far and the analogies that worked."""
    table = Table(title=Text(lesson.title), title_justify="left")
    for column in ("concept", "status", "mastery", "answers", "analogies that worked"):
        table.add_column(column)
    for index, concept in enumerate(lesson.concepts):
        if index < position["concept"] or profile.progress(lesson_ref).status == "complete":
            status = "done"
        elif index == position["concept"]:
            status = f"question {position['question'] + 1}/{len(concept.questions)}"
        else:
            status = "to come"
        answers = sum(1 for e in transcript if e["event"] == "grade" and e["concept"] == concept.id)
        worked = [
            analogy_label(concept, analogy, vocabulary or {})
            for analogy in profile.worked_analogies(lesson_ref, concept.id)
        ]
        mastery = profile.mastery.get(f"{lesson_ref}/{concept.id}")
        shown = "-" if mastery is None else f"{mastery:.0%}" + (" ✓" if mastery >= MASTERED else "")
        table.add_row(Text(concept.label), status, shown, str(answers), Text(", ".join(worked) or "-"))
    return table


def lesson_summary(lesson, transcript, next_title=None):
    """Markdown recap at the end of a lesson, naming the lesson to take next."""
    grades = [e for e in transcript if e["event"] == "grade"]
    first_try = {e["question"] for e in grades if e["attempt"] == 1 and e["verdict"] == "correct"}
    # After a resume this session met only some of the questions: count those, not the lesson's.
    questions = {e["from"] for e in transcript if e["event"] == "advance"}
    skipped = sum(1 for e in transcript if e["event"] == "advance" and e.get("skipped"))
    hints = sum(1 for e in transcript if e["event"] == "hint")
    lines = [f"You finished **{lesson.title}**.", ""]
    lines += [f"- {c.label}" for c in lesson.concepts]
    lines += [
        "",
        f"Questions right at the first try this session: {len(first_try)} of {len(questions)}; "
        f"hints used: {hints}; skipped: {skipped}.",
    ]
    if next_title:
        lines += ["", f"Next: **{next_title}**. Run `tutor` to start it."]
    return "\n".join(lines)


# A recap opens with enough of the explanation to stand alone, in whole paragraphs.
CORE_WORDS = 60


def core_of(concept):
    """The concept's core: as authored, else its opening prose paragraphs, at
    least CORE_WORDS words of them, stopping at the first diagram or code block."""
    if concept.core:
        return " ".join(concept.core.split())
    paragraphs, words = [], 0
    for paragraph in concept.explanation.strip().split("\n\n"):
        if paragraph.lstrip().startswith("```") or words >= CORE_WORDS:
            break
        paragraphs.append(paragraph.strip())
        words += len(paragraph.split())
    return "\n\n".join(paragraphs) or concept.explanation.strip()


def recap_text(lesson, position, full=False):
    """Where the learner is, and the concept's core (or its whole explanation)."""
    concept, _ = current(lesson, position)
    where = (
        f"Concept {position['concept'] + 1} of {len(lesson.concepts)}, **{concept.title}**, "
        f"question {position['question'] + 1} of {len(concept.questions)}."
    )
    return f"{where}\n\n{concept.explanation.strip() if full else core_of(concept)}"


def persist(shared):
    """Make the session durable so far: the transcript and disputes first, then the
    profile, whose save may point past them."""
    for record in ("transcript", "disputes"):
        if record in shared:
            shared[record].sync()
    shared["profiles"].save(shared["profile"])
