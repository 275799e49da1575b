"""Grading accuracy against human grades: SAF (Short Answer Feedback).

Real students' answers to communication-networks questions, each graded by
humans as correct / partially correct / incorrect (Filighera et al., ACL 2022,
https://aclanthology.org/2022.acl-long.587, MIT licence). The offline grader
grades every answer in reference-answer mode: the question is given its
reference answer only, and the grader derives the ideas from it.

Reported per split: accuracy, macro-F1 over 3 classes and over 2 (correct vs
not), Cohen's kappa, the confusion matrix and the false-accept rate (graded
correct where the humans said otherwise). Two baselines in the same run:
always the training split's majority class, and plain token overlap with the
reference answer (thresholds chosen on the training split).

Thresholds are tuned on saf_en_train.jsonl only (`python -m bench.saf --tune`
prints the best on train); saf_en_test_ua.jsonl is reported, never tuned on.

    python -m bench.saf [PATH]       the report (PATH: the folder of the .jsonl files)
    python -m bench.saf --tune       search the grader's thresholds on the training split
"""

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

from bench import MissingData

ROOT = Path(__file__).resolve().parent.parent
# Shipped in the repository with its licence and citation (bench/data/saf/README.md).
DEFAULT_DATA = ROOT / "bench" / "data" / "saf"
SPLITS = {"train": "saf_en_train.jsonl", "test": "saf_en_test_ua.jsonl"}
LABELS = ["correct", "partial", "incorrect"]
GOLD = {"correct": "correct", "partially_correct": "partial", "incorrect": "incorrect"}
TOKEN = re.compile(r"\w+")

COLUMNS = [
    ("split", "split", "{}"),
    ("method", "method", "{}"),
    ("n", "answers", "{:d}"),
    ("accuracy", "accuracy", "{:.3f}"),
    ("macro_f1_3", "macro-F1 (3)", "{:.3f}"),
    ("macro_f1_2", "macro-F1 (2)", "{:.3f}"),
    ("kappa", "kappa", "{:.3f}"),
    ("false_accept", "false-accept", "{:.3f}"),
]


def load(path):
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [dict(row, gold=GOLD[row["label_3way"]]) for row in rows]


# -- metrics ------------------------------------------------------------------


def f1_scores(gold, predicted, labels):
    scores = []
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return scores


def macro_f1(gold, predicted, labels=LABELS):
    return sum(f1_scores(gold, predicted, labels)) / len(labels)


def two_way(labels):
    return ["correct" if label == "correct" else "not" for label in labels]


def cohen_kappa(gold, predicted):
    n = len(gold)
    observed = sum(g == p for g, p in zip(gold, predicted, strict=True)) / n
    gold_counts, predicted_counts = Counter(gold), Counter(predicted)
    expected = sum(gold_counts[label] * predicted_counts[label] for label in LABELS) / (n * n)
    return (observed - expected) / (1 - expected) if expected < 1 else 0.0


def confusion(gold, predicted):
    return {
        g: {p: sum(1 for x, y in zip(gold, predicted, strict=True) if (x, y) == (g, p)) for p in LABELS} for g in LABELS
    }


def metrics(gold, predicted):
    not_correct = [p for g, p in zip(gold, predicted, strict=True) if g != "correct"]
    return {
        "n": len(gold),
        "accuracy": sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold),
        "macro_f1_3": macro_f1(gold, predicted),
        "macro_f1_2": macro_f1(two_way(gold), two_way(predicted), ["correct", "not"]),
        "kappa": cohen_kappa(gold, predicted),
        "false_accept": sum(p == "correct" for p in not_correct) / len(not_correct) if not_correct else 0.0,
        "confusion": confusion(gold, predicted),
    }


# -- the three graders ----------------------------------------------------------


def overlap(row):
    """Plain token overlap: the share of the reference answer's distinct tokens
    that the student's answer contains."""
    reference = set(TOKEN.findall(row["reference_answer"].lower()))
    answer = set(TOKEN.findall((row["student_answer"] or "").lower()))
    return len(reference & answer) / len(reference) if reference else 0.0


def by_thresholds(score, correct_at, partial_at):
    return "correct" if score >= correct_at else "partial" if score >= partial_at else "incorrect"


def tune_overlap(train):
    scores = [overlap(row) for row in train]
    gold = [row["gold"] for row in train]
    grid = [i / 40 for i in range(41)]
    best = max(
        ((c, p) for c in grid for p in grid if p <= c),
        key=lambda t: macro_f1(gold, [by_thresholds(s, *t) for s in scores]),
    )
    return best


def grade_with_the_tutor(rows):
    """Through the product path: a reference-only Question and utils.grading.grade."""
    from pockettutor.utils.grading import grade
    from pockettutor.utils.lessons import Question

    questions = {}
    verdicts = []
    for row in rows:
        question = questions.get(row["question_id"])
        if question is None:
            question = questions[row["question_id"]] = Question(
                id="saf", prompt=row["question"], reference_answer=row["reference_answer"]
            )
        verdicts.append(grade(question, row["student_answer"] or "").verdict)
    return verdicts


MAX_FALSE_ACCEPT = 0.20


def tune(train):
    """The best (correct, partial, ideas-for-correct) thresholds on `train`:
    the highest macro-F1 among those that accept at most MAX_FALSE_ACCEPT of
    the answers humans did not call correct."""
    from pockettutor.utils.grading import Normaliser, derive_ideas, grade_by_reference

    normaliser, ideas = Normaliser(), {}
    answers = []
    for row in train:
        if row["question_id"] not in ideas:
            ideas[row["question_id"]] = derive_ideas(normaliser, row["reference_answer"])
        answers.append((ideas[row["question_id"]], normaliser.sentences(row["student_answer"] or "")))
    gold = [row["gold"] for row in train]
    results = []
    for c in [i / 40 for i in range(4, 24)]:
        for p in (0.0, 0.025, 0.05, 0.075, 0.1):
            for q in (0.0, 0.25, 0.34, 0.5, 0.67, 0.75, 1.0):
                predicted = [grade_by_reference(i, s, (), c, p, q).verdict for i, s in answers]
                figures = metrics(gold, predicted)
                if figures["false_accept"] <= MAX_FALSE_ACCEPT:
                    results.append((figures["macro_f1_3"], figures["false_accept"], c, p, q))
    return sorted(results, reverse=True)[:5]


# -- the report -------------------------------------------------------------------


def report(data=DEFAULT_DATA):
    splits = {name: load(Path(data) / file) for name, file in SPLITS.items()}
    train = splits["train"]
    majority = Counter(row["gold"] for row in train).most_common(1)[0][0]
    thresholds = tune_overlap(train)
    rows, confusions = [], {}
    for name, split in splits.items():
        gold = [row["gold"] for row in split]
        for method, predicted in (
            ("tutor (reference mode)", grade_with_the_tutor(split)),
            ("token overlap", [by_thresholds(overlap(row), *thresholds) for row in split]),
            (f"majority ({majority})", [majority] * len(split)),
        ):
            figures = metrics(gold, predicted)
            confusions[f"{name}: {method}"] = figures.pop("confusion")
            rows.append({"split": name, "method": method, **figures})
    return rows, confusions, {"majority": majority, "overlap_thresholds": thresholds}


def run(quick=False, data=None):
    data = Path(data or DEFAULT_DATA)
    if not (data / SPLITS["train"]).exists():
        raise MissingData(f"{data}: no SAF data (saf_en_train.jsonl); give its folder")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    rows, confusions, chosen = report(data)
    test = {r["method"]: r for r in rows if r["split"] == "test"}
    tutor = test["tutor (reference mode)"]
    best_baseline = max((r for m, r in test.items() if m != "tutor (reference mode)"), key=lambda r: r["macro_f1_3"])
    notes = [
        f"Test split, macro-F1 (3): tutor {tutor['macro_f1_3']:.3f} vs best baseline "
        f"({best_baseline['method']}) {best_baseline['macro_f1_3']:.3f}: "
        f"{tutor['macro_f1_3'] - best_baseline['macro_f1_3']:+.3f}.",
        f"Token-overlap thresholds chosen on train: correct >= {chosen['overlap_thresholds'][0]:.3f}, "
        f"partial >= {chosen['overlap_thresholds'][1]:.3f}.",
        "Confusion matrices, rows human label, columns grade (correct, partial, incorrect):",
    ]
    for name, matrix in confusions.items():
        if name.startswith("test") and "majority" not in name:
            notes.append(f"  {name}: " + "; ".join(f"{g} {list(matrix[g].values())}" for g in LABELS))
    notes.append("Data: SAF, Filighera et al. (2022), https://aclanthology.org/2022.acl-long.587 (MIT).")
    return {
        "name": "saf",
        "title": "Grading accuracy against human grades (SAF, English; offline grader in reference-answer mode)",
        "columns": [{"key": k, "header": h, "format": f} for k, h, f in COLUMNS],
        "rows": rows,
        "reference": {"confusions": confusions, **chosen},
        "notes": notes,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.saf", description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA), help="folder holding the SAF .jsonl files")
    parser.add_argument("--tune", action="store_true", help="search the grader's thresholds on the training split")
    args = parser.parse_args(argv)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if args.tune:
        train = load(Path(args.data) / SPLITS["train"])
        for score, false_accept, correct_at, partial_at, ideas_for_correct in tune(train):
            print(
                f"macro-F1 {score:.3f}, false accepts {false_accept:.3f}: REFERENCE_CORRECT={correct_at} "
                f"REFERENCE_PARTIAL={partial_at} REFERENCE_IDEAS_FOR_CORRECT={ideas_for_correct}"
            )
        return 0
    from bench.__main__ import table

    print(table(run(data=args.data)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
