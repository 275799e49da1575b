"""The tutor's own cost per learner turn, over 10,000 scripted turns with the
offline engine, beside one durable append, one full profile save and one
offline grade. `python -m bench.turn_overhead [--turns N]` runs it alone.

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

References, measured in the same run after the session: the median of one
durable append (open, write one line of a typical journal entry's size, fsync,
close) in the same folder, the physical floor of a turn that keeps its work;
the median of one full save (ProfileStore.checkpoint) of the profile as the
session left it; and the median of one utils.grading.grade of a scripted answer
to a lora/mechanics question.

Peak memory: a `tutor learn` process on the learner the session left (its
profile and transcripts), answering one question and quitting; the maximum
resident set size of that process alone (os.wait4).
"""

import argparse
import io
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_LESSON = "lora/mechanics"
TURNS = 10_000
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
    ("ms", "ms", "{:.3f}"),
    ("vs_append", "x durable append", "{:.2f}"),
    ("vs_first", "x first turns", "{:.2f}"),
    ("vs_save", "x full save", "{:.3f}"),
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


def durable_append(folder, line):
    """One journal-sized line made durable the way a turn's is."""
    fd = os.open(folder / "append-reference", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


# Started by a small launcher that forks and execs it: on Linux a process's peak resident
# size starts at that of the process it was exec'd from, and the benchmark's own is large.
LAUNCHER = """
import os, sys
child = os.fork()
if child == 0:
    os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
_, status, usage = os.wait4(child, 0)
print(usage.ru_maxrss, file=sys.stderr)
sys.exit(os.waitstatus_to_exitcode(status))
"""


class SqliteStore:
    """The alternative learner store, for comparison: the same entry as rows of a
    SQLite database in WAL mode with synchronous=FULL, one transaction per turn."""

    def __init__(self, folder):
        import sqlite3

        self.db = sqlite3.connect(folder / "learner.sqlite", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("CREATE TABLE IF NOT EXISTS entry (part TEXT, key TEXT, value TEXT, PRIMARY KEY (part, key))")

    def commit(self, entry):
        self.db.execute("BEGIN")
        for part, values in entry.items():
            if part != "seq":
                self.db.executemany(
                    "INSERT INTO entry VALUES (?, ?, ?) ON CONFLICT (part, key) DO UPDATE SET value = excluded.value",
                    [(part, key, json.dumps(value)) for key, value in values.items()],
                )
        self.db.execute("COMMIT")

    def close(self):
        self.db.close()


def learner_process_peak(home, lesson_ref, reply):
    """(peak resident MB, wall s) of `tutor learn` on the benchmark's learner: one answer, then /quit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "TUTOR_"))}
    env.update({"TUTOR_HOME": str(home), "NO_COLOR": "1"})
    command = [sys.executable, "-c", LAUNCHER, "-m", "pockettutor", "learn", lesson_ref, "--profile", "bench"]
    start = time.perf_counter()
    result = subprocess.run(
        command, input=f"{reply}\n/quit\n".encode(), capture_output=True, cwd=ROOT, env=env, timeout=300
    )
    seconds = time.perf_counter() - start
    stderr = result.stderr.decode("utf-8", "replace").strip()
    if result.returncode != 0:
        raise RuntimeError(f"tutor learn {lesson_ref} on the benchmark's learner exited {result.returncode}: {stderr}")
    return int(stderr.splitlines()[-1]) / 1024, seconds  # ru_maxrss is in KiB on Linux


def run(quick=False, turns=None):
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from pockettutor.main import run_session
    from pockettutor.utils.console import TutorConsole
    from pockettutor.utils.grading import grade
    from pockettutor.utils.lessons import Library
    from pockettutor.utils.profiles import Profile, ProfileStore
    from pockettutor.utils.teachers import OfflineTeacher

    turns = turns or (QUICK_TURNS if quick else TURNS)
    repeats = QUICK_REFERENCE_REPEATS if quick else REFERENCE_REPEATS
    library = Library(ROOT / "lessons")
    refs = library.lesson_refs()
    learner = ScriptedLearner(turns)
    console = TutorConsole(input_fn=learner, file=io.StringIO(), width=100)
    teacher = OfflineTeacher()
    profile = Profile(name="bench")
    sessions, lesson_ends, verdicts = [], [], []
    fsyncs = counting_fsyncs()
    with tempfile.TemporaryDirectory(prefix="tutor-bench-turns-") as home:
        store = ProfileStore(home)
        ref = FIRST_LESSON
        try:
            while learner.left:
                learner.replies = lesson_script(library.lesson(ref))
                with store.lock(profile.name):
                    shared = run_session(console, teacher, library, store, profile, ref)
                learner.session_ended()
                sessions.append((ref, shared["outcome"]))
                verdicts += [e["verdict"] for e in shared["transcript"] if e["event"] == "grade"]
                if shared["outcome"] == "complete":
                    lesson_ends.append(len(learner.durations))
                    ref = refs[(refs.index(ref) + 1) % len(refs)]
                elif learner.left:
                    raise RuntimeError(f"the session on {ref} ended ({shared['outcome']}) before its script did")
        finally:
            os.fsync = fsyncs.real

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
        line = graded_turn_entry(profile)
        append_ms = median_ms(lambda: durable_append(Path(home), line), repeats)
        sqlite, commits = SqliteStore(Path(home)), itertools.count(1)
        entry = json.loads(line)

        def one_commit():
            # A new value each time: SQLite writes nothing for a row set to what it holds.
            entry["mastery"] = {key: next(commits) / 1e6 for key in entry["mastery"]}
            sqlite.commit(entry)

        sqlite_ms = median_ms(one_commit, repeats)
        sqlite.close()
        save_ms = median_ms(lambda: store.checkpoint(profile), repeats)
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
        peak_mb, learner_s = learner_process_peak(home, FIRST_LESSON, lesson_script(lesson)[-1])

    turn_ms = [1000 * d for d in durations]
    window = 100 if turns >= 1000 else max(turns // 10, 1)
    first_ms = statistics.median(turn_ms[:window])
    p90 = statistics.quantiles(turn_ms, n=10, method="inclusive")[8]
    slowest = max(range(turns), key=turn_ms.__getitem__)
    stats = [
        ("turn, median", turns, statistics.median(turn_ms)),
        ("turn, p90", turns, p90),
        ("turn, max", turns, turn_ms[slowest]),
        (f"turn, median of the first {window}", window, first_ms),
        (f"turn, median of the last {window}", window, statistics.median(turn_ms[-window:])),
        ("reference: one durable append, median", repeats, append_ms),
        ("reference: one SQLite WAL commit, median", repeats, sqlite_ms),
        ("reference: one full save, median", repeats, save_ms),
        ("reference: one offline grade, median", GRADES_PER_SAVE * repeats, grade_ms),
    ]
    rows = [
        {
            "measure": measure,
            "count": count,
            "ms": ms,
            "vs_append": ms / append_ms,
            "vs_first": ms / first_ms,
            "vs_save": ms / save_ms,
        }
        for measure, count, ms in stats
    ]
    completed = sum(1 for _, outcome in sessions if outcome == "complete")
    return {
        "name": "turn_overhead",
        "title": f"Tutor cost per learner turn: {turns:,} scripted turns, offline engine, from {FIRST_LESSON}",
        "columns": [{"key": key, "header": header, "format": fmt} for key, header, fmt in COLUMNS],
        "rows": rows,
        "reference": {
            "turns": turns,
            "sessions": len(sessions),
            "lessons_completed": completed,
            "durable_append_ms": append_ms,
            "sqlite_wal_commit_ms": sqlite_ms,
            "full_save_ms": save_ms,
            "offline_grade_ms": grade_ms,
            "fsyncs_per_turn": fsyncs.count / turns,
            "profile_bytes_at_end": profile_bytes,
            "analogy_records_at_end": len(profile.analogies),
            "learner_process_peak_mb": peak_mb,
            "learner_process_s": learner_s,
            "slowest_turn": slowest + 1,
            "slowest_turn_completes_a_lesson": (slowest + 1) in lesson_ends,
        },
        "notes": [
            f"{turns:,} learner turns in {len(sessions)} sessions ({completed} lessons completed, "
            f"from {FIRST_LESSON} in library order); each question answered wrong {WRONG_PER_QUESTION} times "
            "(graded incorrect, so a re-explanation follows), then right",
            "a turn: from the reply handed to the console to the next input request (or the end of the session, "
            "its journal folded into the profile file)",
            f"durable append: one {len(line)}-byte line (a graded turn's journal entry), written and fsynced; "
            f"{fsyncs.count / turns:.2f} fsyncs per turn in the session (journal lines, transcript events, folds)",
            "SQLite WAL commit: the same entry as rows of a WAL-mode database (synchronous=FULL), one "
            "transaction, the alternative store measured for comparison",
            f"full save: the profile as the session left it ({profile_bytes:,} bytes, "
            f"{len(profile.analogies):,} analogy records), written whole with its backup, as at a session's end",
            f"a `tutor learn` process on this learner (one answer, then /quit): peak resident {peak_mb:.0f} MB, "
            f"{learner_s:.2f} s",
            f"slowest: turn {slowest + 1}"
            + (" (it completes a lesson: summary and end of session)" if slowest + 1 in lesson_ends else ""),
        ],
    }


class counting_fsyncs:
    """Counts os.fsync calls until os.fsync is set back to `.real`."""

    def __init__(self):
        self.real, self.count = os.fsync, 0
        os.fsync = self

    def __call__(self, fd):
        self.count += 1
        self.real(fd)


def graded_turn_entry(profile):
    """A journal line the size of a graded turn's: a lesson position, a mastery value,
    a review card and a ledger record, as the profile holds them at the end."""
    ref, progress = next(reversed(profile.lessons.items()))
    key, mastery = next(reversed(profile.mastery.items()))
    card_key, card = next(reversed(profile.reviews.items()))
    entry = {
        "seq": 1,
        "lessons": {ref: progress.model_dump(mode="json", exclude_none=True)},
        "mastery": {key: mastery},
        "reviews": {card_key: card},
        "analogies": {str(len(profile.analogies) - 1): profile.analogies[-1].model_dump(exclude_none=True)},
    }
    return json.dumps(entry, separators=(",", ":")).encode() + b"\n"


def _questions(lesson):
    questions = [q for c in lesson.concepts for q in c.questions]
    return [q for q in questions for _ in range(WRONG_PER_QUESTION + 1)]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.turn_overhead", description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=TURNS, help=f"learner turns (default {TURNS:,})")
    args = parser.parse_args(argv)
    if args.turns < 10:
        parser.error("--turns must be at least 10")
    from bench.__main__ import table

    print(table(run(turns=args.turns)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
