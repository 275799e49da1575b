"""The tutor's own cost per learner turn, over a 1,000-turn scripted session
with the offline engine, beside one profile save and one offline grade.

The session is real (main.run_session, the whole graph, the offline teacher,
profiles and transcripts on disk in a temporary folder) on the shipped library;
only the learner is scripted. It starts at lora/mechanics and answers every
question wrong WRONG_PER_QUESTION times, then with its reference answer. When a
lesson completes, the next lesson in library order is run (a new run_session
on the same profile, wrapping round to the first lesson after the last), until
TURNS learner replies (QUICK_TURNS with --quick) have been given; the next
request for input then ends the session.

A turn is timed from the reply being handed to the console (the input function
returning it) to the next request for input, or to the end of run_session for
the reply that completes a lesson: rendering, grading, the graph, and the saves
of the profile and transcript that every turn makes (each fsynced).

Reference, measured in the same run after the session: the median of one
ProfileStore.save of the session's profile as it stands at the end, and the
median of one utils.grading.grade of a scripted answer to a lora/mechanics
question. Ratios are a turn's cost over one save plus one grade.
"""

import io
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_LESSON = "lora/mechanics"
TURNS = 1000
QUICK_TURNS = 100
WRONG_PER_QUESTION = 2
# Each grades "incorrect" against every question of the shipped library (checked below).
WRONG_ANSWERS = ("Something about cooking pasta, I think.", "I would guess it is mostly about the weather.")
REFERENCE_REPEATS = 101
QUICK_REFERENCE_REPEATS = 21
GRADES_PER_SAVE = 3  # a grade is cheap: take more samples of it

COLUMNS = [
    # (key, header, format)
    ("measure", "measure", "{}"),
    ("count", "n", "{:d}"),
    ("ms", "ms", "{:.2f}"),
    ("vs_reference", "x (save + grade)", "{:.2f}"),
    ("vs_save", "x save", "{:.2f}"),
    ("vs_grade", "x grade", "{:.1f}"),
]


def lesson_script(lesson):
    """The replies for one run of a lesson: wrong answers, then the reference
    answer, for each question in order."""
    replies = []
    for question in (q for c in lesson.concepts for q in c.questions):
        replies += [WRONG_ANSWERS[i % len(WRONG_ANSWERS)] for i in range(WRONG_PER_QUESTION)]
        replies.append(" ".join(question.reference_answer.split()))
    return replies


class ScriptedLearner:
    """The console's input function: hands over the scripted replies, times
    each turn, and raises EOFError once `turns` replies have been given."""

    def __init__(self, turns):
        self.left = turns
        self.replies = []
        self.durations = []
        self.handed = None  # perf_counter when the last reply was handed over

    def __call__(self, prompt):
        now = time.perf_counter()
        self._close_turn(now)
        if self.left == 0:
            raise EOFError
        if not self.replies:
            raise RuntimeError("the tutor asked for more replies than the lesson's script holds")
        self.left -= 1
        reply = self.replies.pop(0)
        self.handed = time.perf_counter()
        return reply

    def _close_turn(self, now):
        if self.handed is not None:
            self.durations.append(now - self.handed)
            self.handed = None

    def session_ended(self):
        self._close_turn(time.perf_counter())


def median_ms(measure, repeats):
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        measure()
        samples.append(time.perf_counter() - start)
    return 1000 * statistics.median(samples)


def run(quick=False):
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from pockettutor.main import run_session
    from pockettutor.utils.console import TutorConsole
    from pockettutor.utils.grading import grade
    from pockettutor.utils.lessons import Library
    from pockettutor.utils.profiles import Profile, ProfileStore
    from pockettutor.utils.teachers import OfflineTeacher

    turns = QUICK_TURNS if quick else TURNS
    repeats = QUICK_REFERENCE_REPEATS if quick else REFERENCE_REPEATS
    library = Library(ROOT / "lessons")
    refs = library.lesson_refs()
    learner = ScriptedLearner(turns)
    console = TutorConsole(input_fn=learner, file=io.StringIO(), width=100)
    teacher = OfflineTeacher()
    profile = Profile(name="bench")
    sessions, lesson_ends, verdicts = [], [], []
    with tempfile.TemporaryDirectory(prefix="tutor-bench-turns-") as home:
        store = ProfileStore(home)
        ref = FIRST_LESSON
        while learner.left:
            learner.replies = lesson_script(library.lesson(ref))
            shared = run_session(console, teacher, library, store, profile, ref, 0)
            learner.session_ended()
            sessions.append((ref, shared["outcome"]))
            verdicts += [e["verdict"] for e in shared["transcript"] if e["event"] == "grade"]
            if shared["outcome"] == "complete":
                lesson_ends.append(len(learner.durations))
                ref = refs[(refs.index(ref) + 1) % len(refs)]
            elif learner.left:
                raise RuntimeError(f"the session on {ref} ended ({shared['outcome']}) before its script did")

        durations = learner.durations
        expected = [
            "incorrect" if i % (WRONG_PER_QUESTION + 1) < WRONG_PER_QUESTION else "correct" for i in range(turns)
        ]
        if len(durations) != turns or verdicts != expected:
            raise RuntimeError(
                f"the scripted session went off script: {len(durations)} turns timed, {len(verdicts)} graded, "
                f"verdicts {verdicts[:12]}..."
            )

        # References, on the profile as the session left it.
        save_ms = median_ms(lambda: store.save(profile), repeats)
        lesson = library.lesson(FIRST_LESSON)
        pairs = list(zip(_questions(lesson), lesson_script(lesson), strict=True))
        for question, reply in pairs:
            grade(question, reply, lesson.synonyms)  # build each rubric once, as a session does
        cycle = itertools.cycle(pairs)

        def one_grade():
            question, reply = next(cycle)
            grade(question, reply, lesson.synonyms)

        grade_ms = median_ms(one_grade, GRADES_PER_SAVE * repeats)
        profile_bytes = store.path(profile.name).stat().st_size

    reference_ms = save_ms + grade_ms
    turn_ms = [1000 * d for d in durations]
    tenth = max(turns // 10, 1)
    p90 = statistics.quantiles(turn_ms, n=10, method="inclusive")[8]
    slowest = max(range(turns), key=turn_ms.__getitem__)
    stats = [
        ("turn, median", turns, statistics.median(turn_ms)),
        ("turn, p90", turns, p90),
        ("turn, max", turns, turn_ms[slowest]),
        (f"turn, median of the first {tenth}", tenth, statistics.median(turn_ms[:tenth])),
        (f"turn, median of the last {tenth}", tenth, statistics.median(turn_ms[-tenth:])),
        ("reference: profile save, median", repeats, save_ms),
        ("reference: offline grade, median", GRADES_PER_SAVE * repeats, grade_ms),
    ]
    rows = [
        {
            "measure": measure,
            "count": count,
            "ms": ms,
            "vs_reference": ms / reference_ms,
            "vs_save": ms / save_ms,
            "vs_grade": ms / grade_ms,
        }
        for measure, count, ms in stats
    ]
    completed = sum(1 for _, outcome in sessions if outcome == "complete")
    return {
        "name": "turn_overhead",
        "title": f"Tutor cost per learner turn: a {turns}-turn scripted session, offline engine, from {FIRST_LESSON}",
        "columns": [{"key": key, "header": header, "format": fmt} for key, header, fmt in COLUMNS],
        "rows": rows,
        "reference": {
            "turns": turns,
            "sessions": len(sessions),
            "lessons_completed": completed,
            "profile_save_ms": save_ms,
            "offline_grade_ms": grade_ms,
            "save_plus_grade_ms": reference_ms,
            "profile_bytes_at_end": profile_bytes,
            "slowest_turn": slowest + 1,
            "slowest_turn_completes_a_lesson": (slowest + 1) in lesson_ends,
        },
        "notes": [
            f"{turns} learner turns in {len(sessions)} run_session calls ({completed} lessons completed, "
            f"from {FIRST_LESSON} in library order); each question answered wrong {WRONG_PER_QUESTION} times "
            "(graded incorrect, so a re-explanation follows), then right",
            "a turn: from the reply handed to the console to the next input request (or the end of run_session)",
            f"reference: one ProfileStore.save {save_ms:.2f} ms (profile of {profile_bytes:,} bytes at the end, "
            f"2 fsynced files) + one offline grade {grade_ms:.3f} ms = {reference_ms:.2f} ms",
            "the save is timed on the profile as the session left it, its largest: the last rows compare like "
            "with like; the profile (analogy records, mastery, reviews) grows with every lesson",
            f"slowest: turn {slowest + 1}"
            + (" (it completes a lesson: summary and end of session)" if slowest + 1 in lesson_ends else ""),
        ],
    }


def _questions(lesson):
    questions = [q for c in lesson.concepts for q in c.questions]
    return [q for q in questions for _ in range(WRONG_PER_QUESTION + 1)]
