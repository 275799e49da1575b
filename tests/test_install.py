"""The tutor as an installed tool: where lessons come from, settings, doctor,
profiles, --json, shell completion, and a wheel that teaches from anywhere."""

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest
import yaml
from chat_server import fault
from conftest import FIXTURES, ROOT, run_tutor

from pockettutor import __version__, main
from pockettutor.utils.call_llm import LLMConfig
from pockettutor.utils.errors import SourceError, UsageError
from pockettutor.utils.lessons import Library, library_roots, shipped_library, user_library
from pockettutor.utils.lint import lint
from pockettutor.utils.profiles import Profile, ProfileStore
from pockettutor.utils.settings import config_path, resolved, set_value

SHIPPED_LESSONS = 35
SHIPPED_TERM = "water"


def copy_fixture_course(folder, new_id, term=SHIPPED_TERM):
    """A lesson folder holding the fixture course as `new_id`, its analogy naming `term`
    (by default one of the shipped vocabulary)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(FIXTURES / "demo", folder / new_id)
    course_file, lesson_file = folder / new_id / "course.yaml", folder / new_id / "levers.yaml"
    course_file.write_text(course_file.read_text().replace("id: demo", f"id: {new_id}"))
    lesson_file.write_text(lesson_file.read_text().replace("        term: lever\n", f"        term: {term}\n"))
    return folder


# --------------------------------------------------------------------------
# Where lessons come from


def test_lesson_folders_add_to_the_shipped_library(isolated_home, tmp_path, monkeypatch):
    mine = copy_fixture_course(user_library(), new_id="mine")
    first = copy_fixture_course(tmp_path / "a", new_id="alpha")
    second = copy_fixture_course(tmp_path / "b", new_id="beta")
    monkeypatch.setenv("TUTOR_LESSONS", f"{first}{os.pathsep}{second}{os.pathsep}{first}")
    assert library_roots() == [shipped_library(), mine, first, second], "each folder once, in order"
    library = Library()
    refs = library.lesson_refs()
    assert len(refs) == SHIPPED_LESSONS + 3
    assert {"mine/levers", "alpha/levers", "beta/levers", "lora/why-low-rank"} <= set(refs)
    assert library.lesson("beta/levers").title == "Levers"


def test_the_shipped_courses_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("TUTOR_LESSONS", str(FIXTURES))
    monkeypatch.setenv("TUTOR_SHIPPED_LESSONS", "no")
    assert Library().lesson_refs() == ["demo/levers"]


def test_a_course_in_two_folders_is_one_clear_error(tmp_path, monkeypatch):
    clash = copy_fixture_course(tmp_path / "clash", new_id="lora")
    monkeypatch.setenv("TUTOR_LESSONS", str(clash))
    with pytest.raises(SourceError, match="course 'lora' is also defined in .*lessons/lora"):
        Library().courses()
    problems = [p for p in lint([clash], roots=library_roots()) if "also defined" in p.message]
    assert len(problems) == 1 and problems[0].path == str(clash.resolve() / "lora" / "course.yaml")
    assert problems[0].line > 1, "at the id's own line"


def test_a_users_lesson_may_use_the_shipped_vocabulary(tmp_path, monkeypatch):
    shipped_terms = [
        term["id"] for term in yaml.safe_load((shipped_library() / "vocabulary.yaml").read_text())["terms"]
    ]
    assert SHIPPED_TERM in shipped_terms
    added = copy_fixture_course(tmp_path / "added", new_id="mine")
    monkeypatch.setenv("TUTOR_LESSONS", str(added))
    assert lint([added], roots=library_roots()) == []
    assert Library().vocabulary()[SHIPPED_TERM].id == SHIPPED_TERM
    lesson = added / "mine" / "levers.yaml"
    lesson.write_text(lesson.read_text().replace(f"term: {SHIPPED_TERM}", "term: no-such-term"))
    (problem,) = lint([added], roots=library_roots())
    assert "unknown vocabulary term 'no-such-term'" in problem.message


def test_new_never_writes_into_the_installed_library(isolated_home, capsys):
    before = sorted(p.name for p in shipped_library().iterdir())
    assert main.main(["new", "course", "my-course"]) == 0
    assert sorted(p.name for p in shipped_library().iterdir()) == before
    assert (user_library() / "my-course" / "course.yaml").is_file()
    assert "my-course/first-lesson" in Library().lesson_refs()
    assert main.main(["new", "course", "lora"]) == 1
    assert "there is a course 'lora' already" in capsys.readouterr().err


def test_a_new_lesson_goes_beside_its_course(tmp_path, monkeypatch, capsys):
    added = copy_fixture_course(tmp_path / "added", new_id="mine")
    monkeypatch.setenv("TUTOR_LESSONS", str(added))
    assert main.main(["new", "lesson", "mine", "second"]) == 0
    assert (added / "mine" / "second.yaml").is_file()
    assert "mine/second" in Library().lesson_refs()


# --------------------------------------------------------------------------
# Settings


def test_settings_come_from_the_file_and_the_environment_overrides_them(isolated_home, monkeypatch):
    path, value = set_value("model", "llama3.2")
    assert path == config_path() == isolated_home / "config.yaml" and value == "llama3.2"
    set_value("base_url", "http://localhost:11434/v1")
    set_value("timeout", "90")
    settings = resolved()
    assert (settings["model"].value, settings["model"].source) == ("llama3.2", "config file")
    assert settings["timeout"].value == 90.0 and settings["shipped_lessons"].source == "default"
    config = LLMConfig.from_env()
    assert (config.model, config.base_url, config.timeout) == ("llama3.2", "http://localhost:11434/v1", 90.0)
    monkeypatch.setenv("TUTOR_MODEL", "qwen2.5")
    assert resolved()["model"].source == "TUTOR_MODEL" and LLMConfig.from_env().model == "qwen2.5"
    assert LLMConfig.from_env(model="phi4").model == "phi4", "--model wins over both"


def test_a_key_never_goes_into_the_settings_file(isolated_home, capsys):
    assert main.main(["config", "set", "api_key", "sk-abc"]) == 1
    assert "never goes in a file: set OPENAI_API_KEY" in capsys.readouterr().err
    assert not config_path().exists()
    config_path().parent.mkdir(parents=True)
    config_path().write_text("model: x\napi_key: sk-abc\n")
    with pytest.raises(SourceError, match=r"config.yaml:2:1: .*never goes in a file") as caught:
        resolved()
    assert "sk-abc" not in str(caught.value)


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("model: x\ntimout: 5\n", 2, "unknown setting 'timout'"),
        ("timeout: -1\n", 1, "timeout must be a number of seconds"),
        ("base_url: localhost:11434\n", 1, "base_url must start with http"),
        ("shipped_lessons: maybe\n", 1, "must be true or false"),
        ("- model\n", 1, "mapping"),
    ],
)
def test_a_bad_settings_file_is_one_line_at_its_line(isolated_home, capsys, text, line, message):
    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text(text)
    assert main.main(["config", "show"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"config.yaml:{line}:" in err and message in err, err


def test_config_commands(isolated_home, capsys):
    assert main.main(["config", "set", "model", "llama3.2"]) == 0
    assert "model = llama3.2" in capsys.readouterr().out
    assert main.main(["config", "show", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["settings"]["model"] == {"value": "llama3.2", "source": "config file"}
    assert main.main(["config", "unset", "model"]) == 0
    capsys.readouterr()
    assert main.main(["config", "show"]) == 0
    assert "model = gpt-4o-mini  [default]" in capsys.readouterr().out
    assert main.main(["config", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(config_path())


def test_model_on_the_command_line_needs_a_server(capsys):
    assert main.main(["learn", "lora", "--model", "llama3.2"]) == 1
    assert "--model needs OPENAI_API_KEY" in capsys.readouterr().err


# --------------------------------------------------------------------------
# Version and doctor


def test_version():
    for args in (["--version"], ["-m", "pockettutor", "--version"]):
        result = subprocess.run(
            [sys.executable, *(args if args[0] == "-m" else ["-m", "pockettutor", *args])],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0 and result.stdout.startswith(f"PocketTutor {__version__} (Python 3.")


def test_doctor_reports_every_part(isolated_home, capsys, monkeypatch):
    monkeypatch.setenv("TUTOR_SHIPPED_LESSONS", "0")  # the wheel's test sees the shipped library checked
    monkeypatch.setenv("TUTOR_LESSONS", str(FIXTURES))
    copy_fixture_course(user_library(), new_id="mine", term="lever")  # the fixtures' own term
    assert main.main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    checks = {(c["section"], c["name"]): c for c in report["checks"]}
    assert report["ok"] is True
    assert checks[("tutor", "version")]["detail"] == f"PocketTutor {__version__}"
    assert checks[("lessons", "added")]["detail"] == f"{FIXTURES}: 1 course, 1 lesson; lint: 0 errors, 0 warnings"
    assert "1 course, 1 lesson" in checks[("lessons", "user folder")]["detail"]
    assert ("lessons", "shipped") not in checks
    assert checks[("data", "folder")]["status"] == "ok" and "writable" in checks[("data", "folder")]["detail"]
    assert checks[("settings", "api key")]["detail"] == "not set"
    assert checks[("settings", "engine")]["detail"].startswith("offline")


def test_doctor_fails_on_a_data_folder_it_cannot_write(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TUTOR_SHIPPED_LESSONS", "0")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("TUTOR_HOME", str(blocker / "home"))
    monkeypatch.setenv("TUTOR_CONFIG", str(tmp_path / "config.yaml"))
    assert main.main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL folder" in out and "not writable" in out and "Some checks failed" in out


def test_doctor_checks_the_llm_and_says_why_it_fails(chat_server, isolated_home, capsys, monkeypatch):
    monkeypatch.setenv("TUTOR_SHIPPED_LESSONS", "0")
    monkeypatch.setenv("TUTOR_LESSONS", str(FIXTURES))
    monkeypatch.setenv("OPENAI_BASE_URL", chat_server.base_url)
    chat_server.script("ready")
    assert main.main(["doctor", "--llm", "--model", "tiny", "--json"]) == 0
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["call"]["status"] == "ok" and "'ready'" in checks["call"]["detail"]
    assert chat_server.requests[-1]["body"]["model"] == "tiny"
    assert chat_server.requests[-1]["body"]["max_tokens"] == 16
    chat_server.default = fault(404, error='model "tiny" not found, try pulling it first')
    assert main.main(["doctor", "--llm", "--model", "tiny"]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "FAIL call" in out and "has no such model" in out and "try pulling it first" in out


# --------------------------------------------------------------------------
# Profiles


def learner_with_records(home, name="ann"):
    store = ProfileStore(home)
    profile = Profile(name=name, experience="a welder", thinking_style="mechanical")
    profile.record_answer("demo/levers", "torque", "correct", 0, 1, date(2026, 12, 1))
    store.save(profile)
    for folder, file in (("transcripts", f"{name}/demo__levers.jsonl"), ("disputes", f"{name}.jsonl")):
        (home / folder / file).parent.mkdir(parents=True, exist_ok=True)
        (home / folder / file).write_text('{"event": "session"}\n')
    store.set_default_name(name)
    return store


def tutor_in_process(monkeypatch, capsys, *args, stdin=""):
    """main.main(ARGS) with `stdin` as the typed input: (exit status, stdout, stderr)."""
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    status = main.main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_a_profile_is_changed_only_when_confirmed(isolated_home, monkeypatch, capsys):
    learner_with_records(isolated_home)
    for action in (["delete", "ann"], ["reset", "ann"], ["rename", "ann", "bo"]):
        status, _, err = tutor_in_process(monkeypatch, capsys, "profile", *action, stdin="n\n")
        assert status == 1 and "left as it was" in err
        status, _, err = tutor_in_process(monkeypatch, capsys, "profile", *action)  # end of input: no
        assert status == 1 and "left as it was" in err
    assert ProfileStore(isolated_home).names() == ["ann"]
    assert ProfileStore(isolated_home).existing("ann").mastery


def test_rename_moves_every_record_and_the_default(isolated_home, monkeypatch, capsys):
    store = learner_with_records(isolated_home)
    status, out, err = tutor_in_process(monkeypatch, capsys, "profile", "rename", "ann", "bo", stdin="y\n")
    assert status == 0, err
    assert "'ann' is now 'bo'" in out
    assert store.names() == ["bo"] and store.default_name() == "bo"
    assert store.existing("bo").name == "bo" and store.existing("bo").mastery
    assert (isolated_home / "transcripts" / "bo" / "demo__levers.jsonl").is_file()
    assert (isolated_home / "disputes" / "bo.jsonl").is_file()
    assert not store.records("ann")
    status, _, err = tutor_in_process(monkeypatch, capsys, "profile", "rename", "bo", "../x", "--yes")
    assert status == 1 and "invalid profile name '../x'" in err


def test_reset_keeps_who_the_learner_is(isolated_home, monkeypatch, capsys):
    store = learner_with_records(isolated_home)
    assert tutor_in_process(monkeypatch, capsys, "profile", "reset", "ann", "--yes")[0] == 0
    profile = store.existing("ann")
    assert (profile.experience, profile.thinking_style) == ("a welder", "mechanical")
    assert not profile.lessons and not profile.mastery and not profile.active_days
    assert not (isolated_home / "transcripts" / "ann").exists()


def test_delete_removes_the_learner(isolated_home, monkeypatch, capsys):
    store = learner_with_records(isolated_home)
    assert tutor_in_process(monkeypatch, capsys, "profile", "delete", "ann", "--yes")[0] == 0
    assert store.names() == [] and store.records("ann") == [] and store.default_name() is None
    status, _, err = tutor_in_process(monkeypatch, capsys, "profile", "delete", "ann", "--yes")
    assert status == 1 and "no profile 'ann'" in err


def test_a_profile_in_use_is_not_changed(isolated_home):
    store = learner_with_records(isolated_home)
    with store.lock("ann"), pytest.raises(UsageError, match="open in another tutor session"):
        store.delete("ann")
    assert store.names() == ["ann"]


# --------------------------------------------------------------------------
# --json for scripts


def test_json_for_progress_profile_and_paths(isolated_home, capsys, monkeypatch):
    learner_with_records(isolated_home)
    assert main.main(["progress", "--json", "--profile", "ann"]) == 0
    progress = json.loads(capsys.readouterr().out)
    assert progress["profile"] == "ann" and progress["reviews_due"] == 0
    lessons = {lesson["lesson"]: lesson for course in progress["courses"] for lesson in course["lessons"]}
    assert len(lessons) == SHIPPED_LESSONS and lessons["lora/why-low-rank"]["status"] == "new"
    assert main.main(["profile", "show", "ann", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["name"], shown["thinking_style"]) == ("ann", "mechanical")
    assert "demo/levers/torque" in shown["mastery"]
    assert main.main(["path", "--json"]) == 0
    paths = json.loads(capsys.readouterr().out)["paths"]
    assert paths and all(set(p) == {"id", "title", "description", "lessons"} for p in paths)
    assert main.main(["path", paths[0]["id"], "--json", "--profile", "ann"]) == 0
    walked = json.loads(capsys.readouterr().out)
    assert len(walked["lessons"]) == paths[0]["lessons"] and walked["lessons"][0]["status"] == "new"


def test_json_results_of_an_exam(isolated_home, monkeypatch):
    result = run_tutor(
        isolated_home,
        "exam",
        "demo",
        "--all",
        "--json",
        stdin="Torque is force times distance.\n/skip\n",
        env={"TUTOR_LESSONS": str(FIXTURES), "TUTOR_SHIPPED_LESSONS": "0"},
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)  # the session itself went to standard error
    assert report["mode"] == "exam" and report["asked"] == len(report["results"]) >= 1
    assert report["results"][0]["lesson"] == "demo/levers"
    assert report["correct"] + report["partial"] + report["incorrect"] + report["skipped"] == report["asked"]
    assert "Exam result" in result.stderr


def test_json_when_no_review_is_due(isolated_home):
    result = run_tutor(isolated_home, "review", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"mode": "review", "profile": "learner", "asked": 0, "results": []}


# --------------------------------------------------------------------------
# Shell completion


@pytest.mark.parametrize(
    "shell, marker",
    [("bash", "complete "), ("zsh", "compdef _python_argcomplete tutor pockettutor"), ("fish", "complete ")],
)
def test_completion_scripts(shell, marker, capsys):
    assert main.main(["completion", shell]) == 0
    script = capsys.readouterr().out
    assert marker in script and "pockettutor" in script


def complete(home, line):
    """What the shell would offer for `line`, asked as bash asks."""
    out = home.parent / "completions"
    env = {"_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line))}
    env["_ARGCOMPLETE_STDOUT_FILENAME"] = str(out)
    result = run_tutor(home, env=env)
    assert result.returncode == 0, result.stderr
    return sorted(word.strip() for word in out.read_text().split("\v"))


def test_completion_offers_commands_lessons_and_profiles(isolated_home):
    assert complete(isolated_home, "tutor do") == ["doctor"]
    assert "lora/why-low-rank" in complete(isolated_home, "tutor learn lora/")
    learner_with_records(isolated_home, "zoe")
    assert complete(isolated_home, "tutor profile delete z") == ["zoe"]


# --------------------------------------------------------------------------
# The installed wheel


@pytest.mark.slow
def test_the_wheel_is_one_package_that_teaches_from_anywhere(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("pockettutor-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert top == {"pockettutor", f"pockettutor-{__version__}.dist-info"}, top
    assert "pockettutor/lessons/lora/why-low-rank.yaml" in names and "pockettutor/lessons/schema.json" in names
    assert "pockettutor/student_profiles/mechanical-engineer.yaml" in names
    assert not any(name.startswith(("pockettutor/tests/", "pockettutor/bench/", "pockettutor/.venv")) for name in names)
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def run(*args, stdin=""):
        return run_tutor(tmp_path / "home", *args, stdin=stdin, env={"PYTHONPATH": str(site)}, cwd=elsewhere)

    where = run("doctor", "--json")
    checks = {c["name"]: c["detail"] for c in json.loads(where.stdout)["checks"]}
    assert checks["installed"] == str(site / "pockettutor"), "the wheel's copy, not the checkout"
    shipped = f"{site / 'pockettutor' / 'lessons'}: 7 courses, {SHIPPED_LESSONS} lessons; lint: 0 errors, 0 warnings"
    assert checks["shipped"] == shipped
    courses = json.loads(run("courses", "--json").stdout)
    assert courses["totals"]["lessons"] == SHIPPED_LESSONS
    played = run("learn", "lora/why-low-rank", stdin="/quit\n")
    assert played.returncode == 0 and "Progress saved" in played.stdout, played.stderr
    before = sorted(str(p.relative_to(site)) for p in site.rglob("*"))
    assert run("new", "course", "x").returncode == 0
    assert sorted(str(p.relative_to(site)) for p in site.rglob("*")) == before
    assert (tmp_path / "home" / "lessons" / "x" / "course.yaml").is_file()
    assert Path(site / "pockettutor" / "__main__.py").is_file()
