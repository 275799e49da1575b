"""Reference-answer grading, and the accuracy report against human grades."""

import json
import subprocess
import sys

from conftest import ROOT

from pockettutor.utils.grading import grade
from pockettutor.utils.lessons import Question

SPEED = Question(
    id="speed",
    prompt="Why does a longer lever need less force?",
    reference_answer="Torque is force times distance. A longer arm gives the same torque with less force.",
)


def test_a_question_with_only_a_reference_answer_is_graded_from_it():
    assert grade(SPEED, "Torque is force times distance, so the longer arm needs less force.").verdict == "correct"
    assert grade(SPEED, "it is about the force").verdict == "partial"
    assert grade(SPEED, "no idea at all").verdict == "incorrect"
    result = grade(SPEED, "Torque is force times distance.")
    assert result.met == ("reference-1",) and result.missed == ("reference-2",)


def test_reference_mode_keeps_negation():
    assert grade(SPEED, "torque is force times distance").met == ("reference-1",)
    assert grade(SPEED, "torque is not force times distance").met == ()


def test_metrics_against_hand_computed_values(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from bench.saf import cohen_kappa, macro_f1, metrics

    gold = ["correct", "correct", "partial", "incorrect"]
    predicted = ["correct", "partial", "partial", "correct"]
    # F1: correct 2*(1/2*1/2)/(1) = 0.5; partial 2*(1/2*1)/(1.5) = 2/3; incorrect 0.
    assert abs(macro_f1(gold, predicted) - (0.5 + 2 / 3 + 0) / 3) < 1e-9
    # observed 2/4; expected (2*2 + 1*2 + 1*0) / 16 = 6/16; kappa = (0.5 - 0.375) / 0.625 = 0.2
    assert abs(cohen_kappa(gold, predicted) - 0.2) < 1e-9
    figures = metrics(gold, predicted)
    assert figures["false_accept"] == 0.5  # of the 2 answers humans did not call correct, 1 graded correct
    assert figures["confusion"]["correct"] == {"correct": 1, "partial": 1, "incorrect": 0}


def test_the_saf_report_runs_on_a_folder_of_answers(tmp_path):
    def row(answer, label, question="q1"):
        return {
            "id": f"{question}-{answer}",
            "question_id": question,
            "question": "Why does a longer lever need less force?",
            "reference_answer": SPEED.reference_answer,
            "student_answer": answer,
            "label_3way": label,
        }

    answers = [
        row("torque is force times distance so a longer arm needs less force", "correct"),
        row("longer arm less force", "partially_correct"),
        row("because levers are magic", "incorrect"),
    ]
    for name in ("saf_en_train.jsonl", "saf_en_test_ua.jsonl"):
        (tmp_path / name).write_text("\n".join(json.dumps(a) for a in answers))
    result = subprocess.run(
        [sys.executable, "-m", "bench.saf", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    for method in ("tutor (reference mode)", "token overlap", "majority"):
        assert method in result.stdout
    assert "Test split, macro-F1 (3): tutor" in result.stdout and "false-accept" in result.stdout
