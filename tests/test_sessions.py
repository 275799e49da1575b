"""Whole sessions replayed from tests/sessions/*.yaml through `tutor replay --check`."""

from pathlib import Path

import pytest
from conftest import ROOT

from pockettutor import main

SCRIPTS = sorted((ROOT / "tests" / "sessions").glob("*.yaml"))


def replay(path, capsys, check=True):
    status = main.main(["replay", str(path), *(["--check"] if check else [])])
    out, err = capsys.readouterr()
    return status, out, err


def test_there_are_scripts():
    names = {p.stem for p in SCRIPTS}
    assert {"correct_path", "wrong_then_right", "partial_probe", "hint", "quit_resume", "llm_engine"} <= names
    # a complete lesson of each course, replayed end to end
    assert {"first_lesson", "correct_path", "committee_blind_spots"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_script_meets_its_expectations(script, capsys):
    status, out, err = replay(script, capsys)
    assert status == 0, err
    assert "every expectation met" in out


def test_wrong_answer_gets_a_different_analogy_and_a_pointer_not_the_answer(capsys):
    status, out, _ = replay(ROOT / "tests/sessions/wrong_then_right.yaml", capsys)
    assert status == 0
    assert "Not yet." in out
    assert "Let's look at it another way: The Bottleneck" in out
    assert "Think about this:" in out


def test_the_style_adjustment_is_announced(capsys):
    status, out, _ = replay(ROOT / "tests/sessions/style_adjustment.yaml", capsys)
    assert status == 0
    assert "Adjusting to your style: 3 of 3 everyday analogies led to a right answer" in out


def test_partial_answer_is_probed(capsys):
    status, out, _ = replay(ROOT / "tests/sessions/partial_probe.yaml", capsys)
    assert "Partly there" in out and "Follow-up" in out


def test_hints_climb_the_ladder(capsys):
    status, out, _ = replay(ROOT / "tests/sessions/hint.yaml", capsys)
    assert "Hint 1/3" in out and "Hint 2/3" in out and "Hint 3/3" not in out


def test_resume_says_where(capsys):
    status, out, _ = replay(ROOT / "tests/sessions/quit_resume.yaml", capsys)
    assert "Welcome back: where we were" in out
    assert "The Parallel Path and Its Bottleneck, question 2 of 2." in " ".join(out.split())


def test_check_fails_on_a_wrong_expectation(tmp_path, capsys):
    script = (ROOT / "tests/sessions/wrong_then_right.yaml").read_text()
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(script.replace("verdicts: [incorrect, correct]", "verdicts: [correct, correct]"))
    status, out, err = replay(wrong, capsys)
    assert status == 1
    assert "verdicts: expected ['correct', 'correct'], got ['incorrect', 'correct']" in err
    # without --check the same script only prints the transcript
    status, out, err = replay(wrong, capsys, check=False)
    assert status == 0 and "Not yet." in out


def test_replay_never_touches_real_profiles(isolated_home, capsys):
    replay(ROOT / "tests/sessions/hint.yaml", capsys)
    assert not (isolated_home / "profiles").exists()


def test_a_broken_script_is_a_one_line_error(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("lesson: lora/mechanics\nturns: [a]\nexpect:\n  verdicts: [maybe]\n")
    status, out, err = replay(bad, capsys)
    assert status == 1
    assert err.startswith(f"tutor: error: {bad}:4:")
    assert len(err.strip().splitlines()) == 1


def test_llm_replay_uses_the_recorded_replies(capsys):
    status, out, _ = replay(ROOT / "tests/sessions/llm_engine.yaml", capsys)
    assert "Engine: LLM engine" in out
    assert "keeps running untouched" in out  # the recorded explanation, not the authored one
    assert "the offline engine takes this turn" in out


def test_scripts_are_documented():
    doc = (ROOT / "docs" / "replay-format.md").read_text()
    fields = ("turns", "llm", "expect", "verdicts", "analogies", "engines", "style_changes", "ended", "at", "sessions")
    for field in (*fields, "fail"):
        assert f"{field}:" in doc or f"`{field}`" in doc, field
    assert Path(ROOT / "docs" / "replay-format.md").exists()
