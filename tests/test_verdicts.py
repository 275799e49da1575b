"""Talking about verdicts in a session: the confirming question, /why and
/disagree; and `tutor grade` for rubric authors and scripts."""

import json
import subprocess
import sys

from conftest import FIXTURES, ScriptedConsole

from pockettutor.main import run_session
from pockettutor.utils.teachers import OfflineTeacher
from pockettutor.utils.transcripts import disputes_path, read_events

RIGHT = "Torque is force times distance, so a longer lever needs less force for the same torque."
MIXED = "Torque is force times distance. But a long lever needs more force."


def session(replies, store, profile, library):
    console = ScriptedConsole(replies)
    shared = run_session(console, OfflineTeacher(), library, store, profile, "demo/levers")
    return shared, console.text


def events(shared, kind):
    return [e for e in shared["transcript"] if e["event"] == kind]


def test_a_misconception_beside_a_met_idea_is_asked_about_with_its_quote(store, profile, demo_library):
    shared, screen = session([MIXED, "no, I meant a long lever needs less force"], store, profile, demo_library)
    assert "Let me check" in screen and "> But a long lever needs more force" not in screen
    assert "a long lever needs more force" in screen  # quoted back
    assert [e["verdict"] for e in events(shared, "grade")] == ["correct"]
    assert events(shared, "unsure")[0]["confidence"] == "mixed"


def test_an_affirmed_misconception_stands_after_the_check(store, profile, demo_library):
    shared, screen = session([MIXED, "yes, that's what I meant"], store, profile, demo_library)
    assert [e["verdict"] for e in events(shared, "grade")] == ["incorrect"]
    assert screen.count("Let me check") == 1  # asked once per answer, never in a loop


def test_a_right_answer_with_a_kept_wrong_claim_is_partial_and_the_follow_up_is_about_that_claim(
    store, profile, demo_library
):
    wrong_claim = "A long lever is also harder to lift"
    replies = [f"Torque is force times distance, so you need less force. {wrong_claim}.", "yes", "no, that was wrong"]
    shared, screen = session(replies, store, profile, demo_library)
    assert [e["verdict"] for e in events(shared, "grade")][:2] == ["partial", "correct"]
    [probe] = events(shared, "probe")
    assert wrong_claim in probe["text"] and "which spot needs the least push" in probe["text"]
    assert shared["last_verdict"]["answer"].endswith("you need less force. no, that was wrong.")  # reply replaced it


def test_a_right_answer_on_too_few_words_of_the_learners_own_is_asked_about_once(store, profile, demo_library):
    shared, screen = session(
        [RIGHT, "when the torques are equal", "the pull times the distance is the same on each side"],
        store,
        profile,
        demo_library,
    )
    assert events(shared, "unsure")[0]["confidence"] == "weak"
    assert screen.count("Let me check") == 1 and "the question's own" in screen
    assert [e["verdict"] for e in events(shared, "grade")] == ["correct", "correct"]


def test_why_shows_the_learners_own_words_and_never_a_missing_idea(store, profile, demo_library):
    shared, screen = session(["You need less force.", "/why"], store, profile, demo_library)
    why = events(shared, "why")[0]["text"]
    assert "You need less force" in why and "less force is needed for the same torque" in why
    assert "torque is force times distance" not in why.lower()  # the missed idea is not stated
    assert "Still missing: 1 idea." in why


def test_disagree_records_the_dispute_and_keeps_it_out_of_mastery(store, profile, demo_library):
    _, _ = session([RIGHT], store, profile, demo_library)
    before = dict(profile.mastery)
    shared, screen = session(
        ["The torques are unequal, one side wins.", "/disagree it is right"], store, profile, demo_library
    )
    [dispute] = read_events(disputes_path(store.home, profile.name))
    assert dispute["question"] == "demo/levers/balance/balance-when"
    assert dispute["answer"] == "The torques are unequal, one side wins."
    assert dispute["reason"] == "it is right" and dispute["status"] == "open"
    assert dispute["verdict"] == events(shared, "grade")[-1]["verdict"]
    assert "recorded for the instructors" in screen
    assert profile.mastery == before  # the disputed verdict left no trace in mastery
    assert events(shared, "dispute")


def test_disagree_before_any_verdict_says_so(store, profile, demo_library):
    shared, screen = session(["/disagree"], store, profile, demo_library)
    assert "There is no verdict to dispute yet." in screen
    assert not disputes_path(store.home, profile.name).exists()


def tutor(*args, stdin=""):
    env = {"TUTOR_LESSONS": str(FIXTURES), "PATH": "", "HOME": "/nonexistent"}
    return subprocess.run(
        [sys.executable, "-m", "pockettutor", *args], input=stdin, capture_output=True, text=True, env=env, timeout=60
    )


def test_grade_prints_the_verdict_with_its_evidence():
    result = tutor("grade", "demo/levers/torque/why-long", "You need less force.")
    assert result.returncode == 0, result.stderr
    assert "Verdict: partial" in result.stdout and "You need less force" in result.stdout
    assert "/disagree" not in result.stdout


def test_grade_json_and_json_lines_in_order_with_errors_per_line():
    one = tutor("grade", "--json", "demo/levers/torque/why-long", RIGHT)
    assert json.loads(one.stdout)["verdict"] == "correct"
    lines = [
        json.dumps({"question": "demo/levers/torque/why-long", "answer": "You need less force."}),
        "not json",
        json.dumps({"question": "demo/levers/nope/q", "answer": "x"}),
        json.dumps(
            {"prompt": "What is torque?", "reference_answer": "Force times distance.", "answer": "force times distance"}
        ),
        json.dumps({"question": "demo/levers/torque/why-long"}),
    ]
    result = tutor("grade", "--json", "-", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["line"] for o in out] == [1, 2, 3, 4, 5]
    assert out[0]["verdict"] == "partial" and out[3]["verdict"] == "correct"
    assert all("error" in out[i] and "verdict" not in out[i] for i in (1, 2, 4))


def test_grade_names_a_bad_question_in_one_line():
    result = tutor("grade", "demo/levers/torque", "x")
    assert (
        result.returncode == 1 and result.stderr.count("\n") == 1 and "COURSE/LESSON/CONCEPT/QUESTION" in result.stderr
    )
