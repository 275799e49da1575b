"""Grading accuracy on blind answers to the shipped library's questions.

Testers who saw only the question prompts (never a rubric, a reference answer
or a sample) wrote answers of every kind: correct, correct in quite different
words, partial, incorrect, correct plus one wrong claim, roles swapped or a
comparison reversed, a copy of the question, a hedge, typos. Each answer was
labelled correct / partial / incorrect when it was written, before any grading.

Reported: agreement, false accepts (graded correct, labelled otherwise, as a
share of the answers not labelled correct), correct answers rejected (labelled
correct, graded otherwise), agreement by kind of answer, and the confusion
matrix. A set is held out while rubrics are tuned on another; docs/benchmarks.md
says which figure came from which.

    python -m bench.blind [FILE.jsonl ...]     (default: every set in bench/data/blind/)
"""

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETS = ROOT / "bench" / "data" / "blind"
LABELS = ["correct", "partial", "incorrect"]


def load(paths):
    rows = []
    for path in paths:
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                rows.append({**json.loads(line), "source": f"{Path(path).name}:{number}"})
    return rows


def grade_rows(rows, library):
    """Each row with the offline grader's verdict added."""
    from pockettutor.utils.grading import grade

    graded = []
    for row in rows:
        course, lesson_id, concept_id, question_id = row["question"].split("/")
        lesson = library.lesson(f"{course}/{lesson_id}")
        question = lesson.concept(concept_id).question(question_id)
        graded.append({**row, "verdict": grade(question, row["answer"], lesson.synonyms).verdict})
    return graded


def summary(graded):
    n = len(graded)
    agree = sum(r["verdict"] == r["label"] for r in graded)
    not_correct = [r for r in graded if r["label"] != "correct"]
    correct = [r for r in graded if r["label"] == "correct"]
    by_kind = defaultdict(lambda: [0, 0])
    for r in graded:
        by_kind[r.get("kind", "?")][0] += r["verdict"] == r["label"]
        by_kind[r.get("kind", "?")][1] += 1
    matrix = {g: Counter(r["verdict"] for r in graded if r["label"] == g) for g in LABELS}
    return {
        "n": n,
        "agreement": agree / n if n else 0.0,
        "false_accept": sum(r["verdict"] == "correct" for r in not_correct) / len(not_correct) if not_correct else 0.0,
        "correct_rejected": sum(r["verdict"] != "correct" for r in correct) / len(correct) if correct else 0.0,
        "by_kind": {kind: f"{right}/{total}" for kind, (right, total) in sorted(by_kind.items())},
        "confusion": {g: [matrix[g][v] for v in LABELS] for g in LABELS},
    }


COLUMNS = [
    ("set", "set", "{}"),
    ("n", "answers", "{:d}"),
    ("agreement", "agreement", "{:.3f}"),
    ("false_accept", "false accepts", "{:.3f}"),
    ("correct_rejected", "correct rejected", "{:.3f}"),
    ("answers_per_second", "answers/s", "{:,.0f}"),
]


def run(quick=False, paths=None):
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from pockettutor.utils.lessons import Library

    paths = [Path(p) for p in paths] if paths else sorted(DEFAULT_SETS.glob("*.jsonl"))
    if not paths:
        raise FileNotFoundError(f"{DEFAULT_SETS}: no blind sets")
    library = Library()
    rows_out, notes = [], []
    for path in paths:
        rows = load([path])
        if quick:
            rows = rows[:60]
        grade_rows(rows, library)  # parse the lessons and compile the rubrics before timing
        start = time.perf_counter()
        graded = grade_rows(rows, library)
        elapsed = time.perf_counter() - start
        figures = summary(graded)
        rows_out.append(
            {
                "set": path.stem,
                "n": figures["n"],
                "agreement": figures["agreement"],
                "false_accept": figures["false_accept"],
                "correct_rejected": figures["correct_rejected"],
                "answers_per_second": len(rows) / elapsed if elapsed else None,
            }
        )
        notes.append(
            f"{path.stem} by kind (agreed/answers): " + ", ".join(f"{k} {v}" for k, v in figures["by_kind"].items())
        )
        notes.append(
            f"{path.stem} confusion (rows label, columns verdict correct/partial/incorrect): "
            + "; ".join(f"{g} {figures['confusion'][g]}" for g in LABELS)
        )
    return {
        "name": "blind",
        "title": "Grading accuracy on blind answers to the library's questions (offline grader)",
        "columns": [{"key": k, "header": h, "format": f} for k, h, f in COLUMNS],
        "rows": rows_out,
        "notes": notes,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.blind", description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="blind sets, JSON lines of question, kind, label, answer")
    parser.add_argument("--disagreements", action="store_true", help="list every answer graded otherwise than labelled")
    args = parser.parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bench.__main__ import table

    print(table(run(paths=args.files or None)))
    if args.disagreements:
        from pockettutor.utils.lessons import Library

        paths = args.files or sorted(DEFAULT_SETS.glob("*.jsonl"))
        for row in grade_rows(load(paths), Library()):
            if row["verdict"] != row["label"]:
                where = f"{row['source']} {row['question']} [{row.get('kind')}]"
                print(f"\n{where} label {row['label']}, graded {row['verdict']}")
                print(f"  {row['answer']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
