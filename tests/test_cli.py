"""The command line: exit statuses and one-line errors, run as a real process."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import FIXTURES, ROOT, run_tutor

from pockettutor.utils.teachers import OfflineTeacher


def tutor(*args, stdin="", env=None, home):
    """The tutor with the fixture library only: the shipped courses switched off."""
    only_fixtures = {"TUTOR_LESSONS": str(FIXTURES), "TUTOR_SHIPPED_LESSONS": "0"}
    return run_tutor(home, *args, stdin=stdin, env={**only_fixtures, **(env or {})}, timeout=60)


def assert_one_line_error(result, *fragments):
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_help_lists_the_commands(isolated_home):
    result = tutor("--help", home=isolated_home)
    assert result.returncode == 0
    for command in ("learn", "courses", "replay"):
        assert command in result.stdout


def test_unknown_command_is_one_line(isolated_home):
    assert_one_line_error(tutor("learn", "--frobnicate", home=isolated_home), "unrecognized arguments")


def test_unknown_lesson_is_one_line(isolated_home):
    assert_one_line_error(tutor("learn", "demo/nope", home=isolated_home), "unknown lesson 'demo/nope'", "demo/levers")


def test_malformed_lesson_names_file_and_line(isolated_home, tmp_path):
    import shutil

    root = tmp_path / "lessons"
    shutil.copytree(FIXTURES, root)
    (root / "demo" / "levers.yaml").write_text("format: 1\nid: levers\ntitle: [broken\n")
    result = tutor("learn", "demo/levers", home=isolated_home, env={"TUTOR_LESSONS": str(root)})
    assert_one_line_error(result, "levers.yaml:", "invalid YAML")


def test_debug_shows_the_traceback(isolated_home):
    result = tutor("learn", "demo/nope", "--debug", home=isolated_home)
    assert result.returncode == 1
    assert "Traceback" in result.stderr


def test_courses_json_is_the_catalogue(isolated_home):
    result = tutor("courses", "--json", home=isolated_home)
    assert result.returncode == 0
    catalogue = json.loads(result.stdout)
    lesson = catalogue["courses"][0]["lessons"][0]
    assert lesson["id"] == "demo/levers"
    assert (lesson["concepts"], lesson["questions"], lesson["analogies"], lesson["samples"]) == (2, 2, 5, 3)
    assert lesson["status"] == "new"
    assert catalogue["totals"] == {
        "courses": 1,
        "lessons": 1,
        "concepts": 2,
        "analogies": 5,
        "questions": 2,
        "samples": 3,
    }


def test_piped_session_runs_and_echoes_answers(isolated_home):
    result = tutor(
        "learn", "demo/levers", stdin="Torque is force times distance, so less force.\n/quit\n", home=isolated_home
    )
    assert result.returncode == 0, result.stderr
    assert "Engine: offline engine" in result.stdout
    assert "> Torque is force times distance" in result.stdout
    assert "Correct." in result.stdout
    assert "picks up at this question" in result.stdout


def test_quit_then_resume_at_the_same_question(isolated_home):
    first = tutor("learn", "demo/levers", stdin="Torque is force times distance, so less force.\n", home=isolated_home)
    assert first.returncode == 0
    second = tutor(stdin="/quit\n", home=isolated_home)  # no lesson named: the current one
    assert "Welcome back: where we were" in second.stdout
    assert "Concept 2 of 2, Balance, question 1 of 1." in second.stdout
    assert "When does a lever stop tipping?" in second.stdout


@pytest.mark.slow  # several tutor processes in a row
def test_the_resume_command_names_the_profile_unless_it_is_the_default(isolated_home):
    named = tutor("learn", "demo/levers", "--profile", "bob", stdin="/quit\n", home=isolated_home)
    assert "`tutor learn demo/levers --profile bob` picks up at this question" in " ".join(named.stdout.split())
    default = tutor("learn", "demo/levers", stdin="/quit\n", home=isolated_home)
    assert "`tutor learn demo/levers` picks up at this question" in " ".join(default.stdout.split())
    assert tutor("profile", "use", "bob", home=isolated_home).returncode == 0
    chosen = tutor("learn", "demo/levers", stdin="/quit\n", home=isolated_home)
    assert "`tutor learn demo/levers` picks up" in " ".join(chosen.stdout.split())


def test_llm_flag_without_configuration_is_a_clear_error(isolated_home):
    assert_one_line_error(tutor("learn", "--llm", home=isolated_home), "OPENAI_API_KEY", "OPENAI_BASE_URL")


def test_ctrl_c_saves_and_exits_130(isolated_home):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}
    env.update(TUTOR_HOME=str(isolated_home), TUTOR_LESSONS=str(FIXTURES))
    process = subprocess.Popen(
        [sys.executable, "-m", "pockettutor", "learn", "demo/levers"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    process.stdin.write("Torque is force times distance, so less force.\n")
    process.stdin.flush()
    profile = isolated_home / "profiles" / "learner.yaml"
    deadline = time.time() + 30
    # wait until the answer has been graded and saved: the position moves to the second concept
    while time.time() < deadline and not (profile.exists() and "concept: balance" in profile.read_text()):
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert "concept: balance" in profile.read_text()


def two_lesson_library(tmp_path):
    """The demo course with a second lesson, pulleys, after levers."""
    import shutil

    root = tmp_path / "lessons"
    shutil.copytree(FIXTURES, root)
    levers = (root / "demo" / "levers.yaml").read_text()
    (root / "demo" / "pulleys.yaml").write_text(
        levers.replace("id: levers", "id: pulleys").replace("title: Levers", "title: Pulleys")
    )
    course = root / "demo" / "course.yaml"
    course.write_text(course.read_text().replace("lessons: [levers]", "lessons: [levers, pulleys]"))
    return root


def test_a_finished_lesson_leads_to_the_next_one(isolated_home, tmp_path):
    from pockettutor.utils.profiles import Profile, ProfileStore

    env = {"TUTOR_LESSONS": str(two_lesson_library(tmp_path))}
    profile = Profile(name="learner", current_lesson="demo/levers")
    profile.progress("demo/levers").status = "complete"
    ProfileStore(isolated_home).save(profile)
    result = tutor(stdin="/quit\n", home=isolated_home, env=env)
    assert result.returncode == 0, result.stderr
    assert "Pulleys" in result.stdout
    assert "picks up at this question" in result.stdout and "tutor learn demo/pulleys" in result.stdout


def test_a_new_learner_is_offered_the_first_lesson_of_course_one(isolated_home):
    result = tutor(stdin="/quit\n", home=isolated_home, env={"TUTOR_LESSONS": str(ROOT / "lessons")})
    assert result.returncode == 0, result.stderr
    assert 'What Does an LLM Actually "Know"?' in result.stdout
    assert "Concept 1/" in result.stdout


def test_courses_tree_names_only_prerequisites_beyond_the_lesson_above(isolated_home):
    result = tutor("courses", home=isolated_home, env={"TUTOR_LESSONS": str(ROOT / "lessons"), "COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    [in_context] = [line for line in lines if "icl-vs-finetuning/in-context-learning " in line]
    assert "after" not in in_context  # its prerequisite is the lesson just above
    [why_low_rank] = [line for line in lines if "lora/why-low-rank " in line]
    assert why_low_rank.endswith("after icl-vs-finetuning/fine-tuning")
    assert lines[-1].startswith("7 courses, 35 lessons, ")


def test_ctrl_c_saves_and_prints_the_resume_command(store, demo_library):
    import io

    from pockettutor import main
    from pockettutor.utils.console import TutorConsole
    from pockettutor.utils.profiles import Profile

    def interrupted(prompt):
        raise KeyboardInterrupt

    out = io.StringIO()
    console = TutorConsole(input_fn=interrupted, file=out, width=100)
    with pytest.raises(KeyboardInterrupt):
        main.run_session(console, OfflineTeacher(), demo_library, store, Profile(name="carol"), "demo/levers")
    assert "`tutor learn demo/levers --profile carol` picks up at this question" in out.getvalue()
    assert store.load_or_create("carol").lessons["demo/levers"].explained is True


def test_panels_keep_a_readable_measure_on_a_wide_terminal():
    import io

    from pockettutor.utils.console import MEASURE, TutorConsole

    out = io.StringIO()
    console = TutorConsole(input_fn=lambda prompt: "", file=out, width=200)
    console.panel("Question", "word " * 100)
    console.say("word " * 100)
    assert max(len(line) for line in out.getvalue().splitlines()) == MEASURE
    narrow = io.StringIO()
    TutorConsole(input_fn=lambda prompt: "", file=narrow, width=60).panel("Question", "word " * 100)
    assert max(len(line) for line in narrow.getvalue().splitlines()) == 60
