"""`tutor report` over a synthetic class: 1,000 learners, 15 lessons each (20
learners and 3 lessons with --quick), beside a reference measured in the same
run. `python -m bench.report_scale [--learners N] [--lessons N]` runs it alone.

The class is written as TUTOR_HOME lays it out (transcripts/NAME/COURSE__LESSON.jsonl,
disputes/NAME.jsonl) from the shipped library's own ids and texts: each
learner takes the first LESSONS lessons in library order, in one session or
two (a quit and a resume), and meets every question of each. Every event has
the fields and order nodes.py gives it, with the texts a session shows (the
explanation, the question, hints, the worked answer), so the bytes are a real
class's. How a learner does is drawn per learner and question (seeded): a
right answer at the first try, or wrong and partly right answers first, with
the question's misconceptions, hints, "I don't know", a new analogy after each
wrong answer, the worked answer after the third, skips, and now and then a
disputed verdict.

Timed, each in its own process pinned to one core, the files warm in the page
cache (the generator has just written them), best of REPEATS:
- the reference: a Python process reading every line of every transcript and
  decoding it with json.loads, nothing else (the floor of any reader that
  parses what it reads);
- `tutor report HOME --json`, and `tutor report HOME -o report.html`.
Peak memory is each process's maximum resident set size (os.wait4).
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEARNERS, LESSONS = 1000, 15
QUICK_LEARNERS, QUICK_LESSONS = 20, 3
GOAL_S = 10.0
REPEATS = 2
SEED = 20261207
START = datetime(2026, 9, 1, 9, 0, tzinfo=timezone.utc)
OFFLINE = "offline engine: authored lessons and the rubric grader (no LLM)"
WRONG = "I think it just remembers everything it was shown, like a database."

COLUMNS = [
    ("measure", "measure", "{}"),
    ("seconds", "s", "{:.2f}"),
    ("cpu_seconds", "CPU s", "{:.2f}"),
    ("vs_reference", "x reference", "{:.2f}"),
    ("vs_goal", "x 10 s goal", "{:.3f}"),
    ("peak_mb", "peak MB", "{:.0f}"),
]

READ_EVERY_LINE = """
import json, sys
from pathlib import Path
events = 0
for path in sorted(Path(sys.argv[1]).glob("transcripts/*/*.jsonl")):
    with open(path, "rb") as lines:
        for line in lines:
            json.loads(line)
            events += 1
print(events)
"""


def _stamp(moment):
    return moment.isoformat(timespec="seconds")


class ClassWriter:
    """Writes one learner's lessons as the tutor would have recorded them."""

    def __init__(self, library, refs, rng):
        self.library, self.refs, self.rng = library, refs, rng
        self.events = 0

    def learner(self, home, name):
        rng = self.rng
        ability = rng.betavariate(4, 2.5)  # most learners get most questions, some struggle
        clock = START + timedelta(days=rng.randrange(30), minutes=rng.randrange(600))
        disputes = []
        folder = home / "transcripts" / name
        folder.mkdir(parents=True)
        for ref in self.refs:
            lines = self.lesson(ref, ability, clock, disputes)
            (folder / (ref.replace("/", "__") + ".jsonl")).write_text("".join(lines), encoding="utf-8")
            clock += timedelta(days=rng.randrange(1, 4))
        if disputes:
            (home / "disputes").mkdir(exist_ok=True)
            (home / "disputes" / f"{name}.jsonl").write_text("".join(disputes), encoding="utf-8")

    def lesson(self, ref, ability, clock, disputes):
        rng, lesson = self.rng, self.library.lesson(ref)
        lines = []
        now = [clock]

        def emit(event, seconds=0):
            now[0] += timedelta(seconds=seconds)
            lines.append(json.dumps(event, ensure_ascii=False) + "\n")
            self.events += 1

        emit({"event": "session", "at": _stamp(now[0]), "engine": OFFLINE})
        quit_at = rng.randrange(len(lesson.concepts)) if rng.random() < 0.3 else None
        for number, concept in enumerate(lesson.concepts):
            if number == quit_at:
                emit({"event": "command", "command": "quit", "text": "/quit"}, 5)
                emit({"event": "end", "outcome": "quit"})
                now[0] += timedelta(hours=rng.randrange(2, 48))
                emit({"event": "session", "at": _stamp(now[0]), "engine": OFFLINE})
            pictures = list(concept.analogies)
            rng.shuffle(pictures)
            text = (concept.core or "") + "\n\n" + concept.explanation + "\n\n" + pictures[0].text
            title = f"Concept {number + 1}/{len(lesson.concepts)}: {concept.title}"
            emit({"event": "explain", "concept": concept.id, "analogy": pictures[0].id, "title": title, "text": text})
            shown = 1
            for index, question in enumerate(concept.questions):
                last_concept = number == len(lesson.concepts) - 1
                to = "next_question" if index < len(concept.questions) - 1 else "next_concept"
                to = "complete" if last_concept and to == "next_concept" else to
                shown = self.question(emit, now, to, ref, concept, question, pictures, shown, ability, disputes)
        emit({"event": "end", "outcome": "complete"}, 3)
        return lines

    def question(self, emit, now, to, ref, concept, question, pictures, shown, ability, disputes):
        """One question, from showing it to moving on (`to`); returns how many pictures are used up."""
        rng = self.rng
        difficulty = rng.random() * 0.5
        emit({"event": "question", "question": question.id, "at": _stamp(now[0]), "text": question.prompt}, 2)
        attempt = hints = 0
        ideas = [idea.id for idea in question.key_ideas]
        samples = {label: [s.text for s in question.samples if s.label == label] for label in ("partial", "incorrect")}
        while True:
            if rng.random() < 0.15 and hints < len(question.hints):
                hints += 1
                emit({"event": "command", "command": "hint", "text": "/hint"}, rng.randrange(10, 60))
                text = f"Hint {hints}/{len(question.hints)}: {question.hints[hints - 1]}"
                emit({"event": "hint", "question": question.id, "number": hints, "text": text})
            if rng.random() < 0.05:
                attempt += 1
                emit({"event": "said", "kind": "dont_know", "text": "I don't know"}, rng.randrange(10, 90))
            if attempt < 3 and rng.random() < 0.03:
                emit({"event": "command", "command": "skip", "text": "/skip"}, rng.randrange(5, 30))
                return self.leave(emit, concept, question, to, skipped=True, shown=shown)
            attempt += 1
            right = rng.random() < ability - difficulty + 0.15 * attempt
            verdict = "correct" if right else rng.choice(("partial", "incorrect"))
            answer = question.reference_answer if right else rng.choice(samples[verdict] or [WRONG])
            emit({"event": "answer", "question": question.id, "text": answer}, rng.randrange(20, 240))
            wrong_claims = [m.id for m in question.misconceptions if not right and rng.random() < 0.4]
            met = ideas if right else ideas[: rng.randrange(len(ideas) or 1)]
            grade = {
                "event": "grade",
                "concept": concept.id,
                "question": question.id,
                "at": _stamp(now[0]),
                "attempt": attempt,
                "verdict": verdict,
                "confidence": "strong",
                "engine": "offline",
                "met": met,
                "missed": [i for i in ideas if i not in met],
                "misconceptions": wrong_claims,
                "reversed": [],
                "evidence": [{"kind": "idea", "id": i, "quote": answer[:80]} for i in met],
                "feedback": "" if right else "Think about where the model's knowledge comes from.",
            }
            emit(grade, 1)
            if rng.random() < 0.02:
                dispute = {"at": grade["at"], "question": f"{ref}/{concept.id}/{question.id}", "answer": answer}
                dispute |= {k: grade[k] for k in ("verdict", "confidence", "engine", "met", "missed")}
                dispute |= {"misconceptions": wrong_claims, "reversed": [], "evidence": grade["evidence"]}
                dispute |= {"reason": "I said exactly that.", "status": "open"}
                emit({"event": "command", "command": "disagree", "text": "/disagree I said exactly that."}, 20)
                emit({"event": "dispute", **dispute})
                disputes.append(json.dumps(dispute, ensure_ascii=False) + "\n")
            if right:
                move = {"from": f"{concept.id}/{question.id}", "to": to, "skipped": False, "worked": False}
                emit({"event": "advance", **move}, 2)
                return shown
            if verdict == "partial":
                probe = question.key_ideas[0].probe if question.key_ideas else None
                text = probe or "What is missing from that answer?"
                emit({"event": "probe", "question": question.id, "idea": ideas[0] if ideas else None, "text": text})
                continue
            if attempt >= 3:
                return self.leave(emit, concept, question, to, skipped=False, shown=shown)
            picture = pictures[shown] if shown < len(pictures) else None
            shown += picture is not None
            emit(
                {
                    "event": "reexplain",
                    "concept": concept.id,
                    "analogy": picture.id if picture else None,
                    "title": "Let's look at it another way",
                    "text": (picture.text if picture else "") + "\n\n**Think about this:** " + question.prompt,
                }
            )
            emit({"event": "question", "question": question.id, "at": _stamp(now[0]), "text": question.prompt}, 2)

    def leave(self, emit, concept, question, to, skipped, shown):
        emit(
            {
                "event": "worked",
                "question": question.id,
                "text": "Here is one good answer:\n\n" + question.reference_answer,
            }
        )
        move = {"from": f"{concept.id}/{question.id}", "to": to, "skipped": skipped, "worked": True}
        emit({"event": "advance", **move})
        return shown


def write_class(home, learners, lessons, seed=SEED):
    """A synthetic class under `home`; returns (lesson refs, events written, bytes)."""
    from pockettutor.utils.lessons import Library, shipped_library

    library = Library([shipped_library()])
    refs = library.lesson_refs()[:lessons]
    writer = ClassWriter(library, refs, random.Random(seed))
    for number in range(1, learners + 1):
        writer.learner(Path(home), f"learner-{number:04d}")
    size = sum(p.stat().st_size for p in Path(home).rglob("*.jsonl"))
    return refs, writer.events, size


def on_one_core():
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def timed(args, env, out):
    """(wall s, CPU s, peak RSS MB) of one process pinned to one core; raises if it fails."""
    with open(out, "w+b") as output:
        start = time.perf_counter()
        process = subprocess.Popen(args, stdout=output, stderr=subprocess.STDOUT, env=env, preexec_fn=on_one_core)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            output.seek(0)
            raise RuntimeError(f"{' '.join(map(str, args))} failed:\n{output.read().decode()[-2000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def best(args, env, out, repeats):
    return min((timed(args, env, out) for _ in range(repeats)), key=lambda result: result[0])


def run(quick=False, learners=None, lessons=None):
    learners = learners or (QUICK_LEARNERS if quick else LEARNERS)
    lessons = lessons or (QUICK_LESSONS if quick else LESSONS)
    repeats = 1 if quick else REPEATS
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "TUTOR_"))}
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="tutor-bench-report-") as tmp:
        tmp = Path(tmp)
        home = tmp / "class"
        env["TUTOR_HOME"] = str(tmp / "tutor-home")
        start = time.perf_counter()
        refs, events, size = write_class(home, learners, lessons)
        written_s = time.perf_counter() - start
        out = tmp / "out.txt"
        measures = [
            ("json.loads every line (reference)", [python, "-c", READ_EVERY_LINE, str(home)]),
            ("tutor report --json", [python, "-m", "pockettutor", "report", str(home), "--json"]),
            (
                "tutor report -o report.html",
                [python, "-m", "pockettutor", "report", str(home), "-o", str(tmp / "r.html")],
            ),
        ]
        rows = []
        for measure, args in measures:
            seconds, cpu, peak = best(args, env, out, repeats)
            if measure.startswith("json.loads") and int(out.read_text().split()[-1]) != events:
                raise RuntimeError("the reference did not read every event")
            if measure.endswith("--json"):
                report = json.loads(out.read_text(encoding="utf-8"))
                if report["learners"] != learners or report["transcripts"] != learners * lessons:
                    raise RuntimeError(
                        f"the report counted {report['learners']} learners, {report['transcripts']} files"
                    )
            rows.append({"measure": measure, "seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak})
    reference = rows[0]["seconds"]
    for row in rows:
        row["vs_reference"] = row["seconds"] / reference
        row["vs_goal"] = row["seconds"] / GOAL_S
    return {
        "name": "report_scale",
        "title": f"tutor report over {learners:,} learners x {lessons} lessons "
        f"({events:,} events, {size / 1e6:.0f} MB)",
        "columns": [{"key": key, "header": header, "format": fmt} for key, header, fmt in COLUMNS],
        "rows": rows,
        "reference": {
            "learners": learners,
            "lessons": lessons,
            "transcripts": learners * lessons,
            "events": events,
            "megabytes": size / 1e6,
            "write_s": written_s,
            "goal_s": GOAL_S,
            "lesson_refs": refs,
        },
        "notes": [
            f"each process pinned to one core, best of {repeats}; the files warm in the page cache",
            f"the class written in {written_s:.1f} s; goal: the whole report in {GOAL_S:.0f} s",
        ],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int)
    parser.add_argument("--lessons", type=int)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.__main__ import table

    print(table(run(quick=args.quick, learners=args.learners, lessons=args.lessons)))


if __name__ == "__main__":
    main()
