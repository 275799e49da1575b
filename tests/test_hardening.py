"""Regression tests for the hardening findings: each fails without its fix."""

import shutil

import pytest

from pockettutor.utils.errors import UsageError
from pockettutor.utils.profiles import Profile, ProfileStore


@pytest.mark.parametrize("name", ["../elsewhere/data", "/tmp/../elsewhere/data", "abc\n", "a" * 65, ""])
def test_a_bad_profile_name_is_refused_before_any_file_is_touched(tmp_path, name):
    home = tmp_path / "home"
    elsewhere = home / "elsewhere"
    elsewhere.mkdir(parents=True)
    planted = elsewhere / ".data.yaml.important.tmp"
    planted.write_text("keep me")
    store = ProfileStore(home)
    with pytest.raises(UsageError, match="invalid profile name"):
        with store.lock(name):
            pass
    assert planted.read_text() == "keep me"
    assert sorted(p.name for p in home.rglob("*")) == [".data.yaml.important.tmp", "elsewhere"]


def test_the_leftover_sweep_takes_only_this_profiles_temp_files(tmp_path):
    store = ProfileStore(tmp_path)
    store.folder.mkdir(parents=True)
    others = store.folder / ".a.yaml.yaml.abcd1234.tmp"  # an in-flight save of the profile "a.yaml"
    mine = store.folder / ".a.yaml.x1y2z3ab.tmp"  # left by a save of "a" that died
    mine_backup = store.folder / ".a.yaml.bak.q9w8e7r6.tmp"
    for path in (others, mine, mine_backup):
        path.write_text("partial")
    with store.lock("a"):
        pass
    assert others.exists() and not mine.exists() and not mine_backup.exists()


def test_a_copied_profile_is_saved_to_the_file_it_was_loaded_from(tmp_path):
    store = ProfileStore(tmp_path)
    store.save(Profile(name="alice", experience="alice's own"))
    shutil.copy(store.path("alice"), store.path("carol"))
    carol = store.load_or_create("carol")
    assert carol.name == "carol" and any("calls its learner 'alice'" in n for n in store.notices)
    carol.experience = "carol's"
    store.save(carol)
    assert "alice's own" in store.path("alice").read_text()
    assert "carol's" in store.path("carol").read_text()


def test_a_damaged_profile_read_by_a_read_only_command_keeps_everything(tmp_path):
    store = ProfileStore(tmp_path)
    store.save(Profile(name="dana", experience="good"))
    store.path("dana").write_text("name: dana\nlessons: {oops\n")
    seen = store.existing("dana")
    assert seen.experience == "good" and "showing its last good copy" in store.notices[-1]
    assert store.path("dana").read_text() == "name: dana\nlessons: {oops\n"  # nothing moved or rewritten
    assert not list(store.folder.glob("dana.unreadable-*"))
    # Under the lock, recovery moves the damaged file aside and writes the good copy back.
    later = ProfileStore(tmp_path)
    with later.lock("dana"):
        profile = later.load_or_create("dana")
    assert profile.experience == "good" and "good" in later.path("dana").read_text()
    assert len(list(later.folder.glob("dana.unreadable-*"))) == 1


def test_a_missing_profile_with_a_good_copy_is_restored_not_started_afresh(tmp_path):
    store = ProfileStore(tmp_path)
    store.save(Profile(name="erin", experience="years of notes"))
    store.path("erin").unlink()
    assert store.existing("erin").experience == "years of notes"
    assert not store.path("erin").exists()  # a read-only command restores nothing
    with store.lock("erin"):
        profile = store.load_or_create("erin")
    assert profile.experience == "years of notes" and store.path("erin").exists()
    assert "restored from its last good copy" in store.notices[-1]


def test_an_answer_that_is_not_utf8_is_kept_readable_not_a_crash(tmp_path):
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "TUTOR_"))}
    env.update({"TUTOR_HOME": str(tmp_path), "NO_COLOR": "1"})
    answer = b"the weights are frozen caf\xe9 since march\n"
    result = subprocess.run(
        [sys.executable, "-m", "pockettutor", "learn", "icl-vs-finetuning/what-llms-know"],
        input=answer,
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode()
    [transcript] = tmp_path.rglob("*.jsonl")
    said = [json.loads(line) for line in transcript.read_text(encoding="utf-8").splitlines()]
    assert any(e.get("text") == "the weights are frozen caf\ufffd since march" for e in said)


@pytest.mark.parametrize("timeout", ["nan", "-1", "0", "1e309", "inf", "soon"])
def test_a_bad_llm_timeout_is_refused_at_start(timeout):
    from pockettutor.utils.call_llm import LLMConfig
    from pockettutor.utils.errors import UsageError

    with pytest.raises(UsageError, match="TUTOR_LLM_TIMEOUT must be a number of seconds above 0"):
        LLMConfig.from_env({"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "TUTOR_LLM_TIMEOUT": timeout})


@pytest.mark.parametrize("price", ["nan,nan", "1,inf", "-1,2", "1", "1,2,3"])
def test_a_bad_price_is_refused(price):
    from pockettutor.utils.call_llm import price_for
    from pockettutor.utils.errors import LLMUnavailable

    with pytest.raises(LLMUnavailable, match="TUTOR_PRICE must be"):
        price_for("any-model", {"TUTOR_PRICE": price})


def test_credentials_in_the_base_url_never_reach_the_screen_or_a_transcript():
    from pockettutor.utils.call_llm import LLMConfig

    config = LLMConfig.from_env({"OPENAI_BASE_URL": "http://user:s3cret@llm.example:8080/v1"})
    assert config.describe() == "gpt-4o-mini at http://***@llm.example:8080/v1"
    assert "s3cret" not in repr(config)


def test_a_profile_named_like_a_command_works_without_naming_learn(tmp_path):
    from conftest import run_tutor

    result = run_tutor(tmp_path, "--profile", "review", stdin="/quit\n")
    assert result.returncode == 0, result.stderr
    assert "--profile review` picks up at this question" in " ".join(result.stdout.split())
    assert (tmp_path / "profiles" / "review.yaml").exists()


def test_a_key_given_twice_is_an_error_at_its_line():
    from pockettutor.utils.errors import SourceError
    from pockettutor.utils.yaml_source import parse_yaml

    with pytest.raises(SourceError) as caught:
        parse_yaml("format: 1\nconcepts: []\ntitle: x\nconcepts: [a]\n", "lesson.yaml")
    assert (caught.value.line, caught.value.message) == (4, "duplicate key 'concepts' (first at line 2)")


def test_an_integer_too_long_to_read_is_an_error_at_its_line():
    from pockettutor.utils.errors import SourceError
    from pockettutor.utils.yaml_source import parse_yaml

    with pytest.raises(SourceError) as caught:
        parse_yaml("format: 1\nnumber: " + "9" * 5000 + "\n", "course.yaml")
    assert caught.value.line == 2 and "more than 4,300 digits" in caught.value.message


def test_a_course_listing_a_path_for_a_lesson_is_a_lint_error_not_a_crash(tmp_path):
    from conftest import edited_library, run_tutor

    from pockettutor.utils.lint import lint

    listed = 'lessons: [levers, "../demo/levers", sub/levers]'
    root = edited_library(tmp_path, "demo/course.yaml", "lessons: [levers]", listed)
    problems = [p for p in lint([root]) if p.path.endswith("course.yaml")]
    assert len(problems) == 2 and all("should match pattern" in p.message for p in problems), problems
    result = run_tutor(tmp_path, "courses", env={"TUTOR_LESSONS": str(root)})
    assert result.returncode == 1 and result.stderr.count("\n") == 1 and "course.yaml" in result.stderr


def test_control_characters_never_reach_the_terminal_or_the_export(tmp_path):
    import io

    from pockettutor.utils.console import TutorConsole

    hostile = "ok \x1b]0;pwned\x07 \x1b]52;c;ZXZpbA==\x07 \x1b[2J \u202eevil"
    out = io.StringIO()
    console = TutorConsole(input_fn=lambda prompt: hostile, file=out, width=100, echo_input=True)
    console.panel("Title \x1b[31m", hostile + "\n\n[a link](https://evil.example/x)")
    console.say(hostile)
    console.line(hostile)
    console.notice(hostile)
    console.rule(hostile)
    console.ask("> ")
    list(console.stream_panel("Streamed", iter([hostile])))
    shown = out.getvalue()
    assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown
    assert "\\x1b]0;pwned" in shown and "\\u202eevil" in shown
    assert "https://evil.example/x" in shown  # a link shows where it leads


def test_the_export_shows_an_answers_control_characters_escaped():
    from pockettutor.utils.transcripts import _quote

    assert _quote("fine \x1b[2J answer") == "> fine \\x1b[2J answer"


def test_a_lesson_string_with_a_control_character_is_a_lint_error_at_its_line(tmp_path):
    from conftest import edited_library, run_tutor

    from pockettutor.utils.lint import lint

    root = edited_library(tmp_path, old="title: Levers", new='title: "Levers\\e]0;pwned\\a"')
    [problem] = lint([root])
    assert problem.line == 3 and "control character \\x1b" in problem.message
    result = run_tutor(tmp_path, "learn", "demo/levers", env={"TUTOR_LESSONS": str(root)})
    assert result.returncode == 1 and result.stderr.count("\n") == 1 and "\x1b" not in result.stderr


def test_a_transcript_is_never_written_through_a_planted_link(tmp_path):
    from pockettutor.utils.transcripts import Transcript, transcript_path

    target = tmp_path / "victim.txt"
    target.write_text("untouched\n")
    path = transcript_path(tmp_path / "home", "alice", "demo/levers")
    path.parent.mkdir(parents=True)
    path.symlink_to(target)
    transcript = Transcript(path)
    with pytest.raises(UsageError, match="symbolic link"):
        transcript.append({"event": "answer", "text": "secret"})
    assert target.read_text() == "untouched\n"


def test_a_learners_files_are_private_and_each_has_their_own_history(tmp_path):
    import stat

    from pockettutor.utils.transcripts import Transcript, history_path, open_private, transcript_path

    path = transcript_path(tmp_path, "alice", "demo/levers")
    Transcript(path).append({"event": "answer", "text": "mine"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    store = ProfileStore(tmp_path)
    store.save(Profile(name="alice"))
    assert stat.S_IMODE(store.path("alice").stat().st_mode) == 0o600
    assert stat.S_IMODE(store.folder.stat().st_mode) == 0o700
    assert history_path(tmp_path, "alice") != history_path(tmp_path, "bob")
    import os

    os.close(open_private(history_path(tmp_path, "bob")))
    assert stat.S_IMODE(history_path(tmp_path, "bob").stat().st_mode) == 0o600


@pytest.mark.slow  # several tutor processes in a row
def test_hand_edited_profile_fields_are_dropped_and_named_losing_nothing_else(tmp_path):
    import yaml
    from conftest import FIXTURES, run_tutor

    store = ProfileStore(tmp_path)
    store.save(Profile(name="learner", experience="keep this", active_days=["2026-12-01"]))
    data = yaml.safe_load(store.path("learner").read_text())
    data["active_days"] = ["not-a-date", "2026-12-01"]
    data["reviews"] = {
        "no-slash": {"due": "2026-12-07T00:00:00+00:00"},
        "a/b/c/no-due": {"state": 1},
        "a/b/c/naive": {"due": "2026-12-07T00:00:00"},
    }
    data["mastery"] = {"a/b/c": "high", "a/b/d": 0.5}
    store.path("learner").write_text(yaml.safe_dump(data))
    for command in (["progress"], ["profile", "show"], ["review"], ["learn", "demo/levers"]):
        result = run_tutor(tmp_path, *command, stdin="/quit\n", env={"TUTOR_LESSONS": str(FIXTURES)})
        assert result.returncode == 0, (command, result.stderr)
        said = " ".join((result.stdout + result.stderr).split())
        assert "dropped entries no command could use" in said and "'not-a-date'" in said, command
    kept = ProfileStore(tmp_path).load_or_create("learner")
    assert kept.experience == "keep this" and kept.active_days[0] == "2026-12-01" and kept.mastery["a/b/d"] == 0.5


@pytest.mark.parametrize("setup", ["home-is-a-file", "read-only-home", "long-lesson-name"])
def test_environment_faults_are_one_line_errors(tmp_path, setup):
    import os

    from conftest import run_tutor

    home = tmp_path / "home"
    args = ["learn", "icl-vs-finetuning/what-llms-know"]
    if setup == "home-is-a-file":
        home.write_text("not a folder")
    elif setup == "read-only-home":
        home.mkdir()
        home.chmod(0o500)
        if os.geteuid() == 0:
            pytest.skip("root writes through read-only permissions")
    else:
        args = ["new", "course", "x" * 300]
    result = run_tutor(home, *args, stdin="/quit\n")
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("tutor: error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "internal error" not in result.stderr


def test_lint_never_prints_a_file_names_escape_sequence(tmp_path, capsys):
    from conftest import FIXTURES

    from pockettutor import main

    root = tmp_path / "lessons"
    shutil.copytree(FIXTURES, root)
    hostile = root / "demo" / "evil\x1b]0;pwned\x07.yaml"
    hostile.write_text("format: 1\nid: nope\n")
    assert main.main(["lint", str(root)]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "evil\\x1b]0;pwned\\x07.yaml" in out


def test_a_lock_file_planted_as_a_link_is_refused_and_its_target_untouched(tmp_path):
    store = ProfileStore(tmp_path)
    store.folder.mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (store.folder / "alice.lock").symlink_to(victim)
    with pytest.raises(UsageError, match="symbolic link"):
        with store.lock("alice"):
            pass
    assert victim.read_text() == "precious"


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_nothing_the_console_prints_holds_a_control_character(text):
    import io

    from pockettutor.utils.console import TutorConsole
    from pockettutor.utils.errors import control_characters

    out = io.StringIO()
    console = TutorConsole(input_fn=lambda prompt: text, file=out, width=80, echo_input=True)
    console.panel(text, text)
    console.say(text or "x")
    console.line(text)
    console.notice(text)
    console.rule(text)
    console.ask("> ")
    list(console.stream_panel(text, iter([text])))
    assert control_characters(out.getvalue()) == []


entry_text = st.one_of(st.text(max_size=12), st.integers(), st.floats(allow_nan=True), st.none())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    days=st.lists(st.one_of(st.dates().map(str), entry_text), max_size=4),
    reviews=st.dictionaries(st.text(max_size=12), st.dictionaries(st.sampled_from(["due", "state"]), entry_text)),
    mastery=st.dictionaries(st.text(max_size=8), entry_text, max_size=3),
)
def test_any_hand_edit_of_the_learner_tables_leaves_every_command_working(tmp_path, days, reviews, mastery):
    from datetime import datetime, timezone

    import yaml

    from pockettutor.utils.lessons import Library
    from pockettutor.utils.profiles import ProfileStore
    from pockettutor.utils.progress import progress_view, streak
    from pockettutor.utils.reviews import due

    home = tmp_path / f"h{abs(hash((str(days), str(reviews), str(mastery))))}"
    store = ProfileStore(home)
    store.save(Profile(name="fuzz", experience="keep"))
    data = yaml.safe_load(store.path("fuzz").read_text())
    data.update(active_days=days, reviews=reviews, mastery=mastery)
    store.path("fuzz").write_text(yaml.safe_dump(data))
    profile = ProfileStore(home).load_or_create("fuzz")
    now = datetime(2026, 12, 6, tzinfo=timezone.utc)
    streak(profile.active_days, now.date())
    due(profile.reviews, now)
    from conftest import FIXTURES

    progress_view(Library(FIXTURES), profile, now)
    assert profile.experience == "keep"
