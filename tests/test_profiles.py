import os

import pytest
from conftest import an_analogy

from pockettutor.utils.errors import UsageError
from pockettutor.utils.profiles import Profile, ProfileStore, atomic_write_text, data_home


def test_data_home_honours_tutor_home(tmp_path):
    assert data_home({"TUTOR_HOME": str(tmp_path)}) == tmp_path


def test_round_trip(store, profile):
    profile.record_analogy("demo/levers", "torque", an_analogy("wrench"))
    profile.record_outcome("demo/levers", "torque", "incorrect")
    profile.progress("demo/levers").concept = "torque"
    store.save(profile)
    loaded = store.load_or_create("tester")
    assert loaded == profile
    assert loaded.failed_analogies("demo/levers", "torque") == {"wrench"}


def test_outcome_marks_only_the_last_shown_analogy(profile):
    profile.record_analogy("l", "c", an_analogy("first"))
    profile.record_outcome("l", "c", "incorrect")
    profile.record_analogy("l", "c", an_analogy("second"))
    profile.record_outcome("l", "c", "partial")
    profile.record_outcome("l", "c", "correct")
    assert [(r.analogy, r.outcome) for r in profile.analogies] == [("first", "failed"), ("second", "worked")]


def test_a_new_learner_gets_an_empty_profile(store):
    fresh = store.load_or_create("someone-new")
    assert fresh.name == "someone-new" and fresh.thinking_style is None and fresh.lessons == {}


def test_invalid_names_are_refused(store):
    with pytest.raises(UsageError):
        store.load_or_create("../escape")


def test_an_unreadable_profile_is_moved_aside_and_the_last_good_copy_restored(store, profile):
    profile.progress("demo/levers").concept = "torque"
    store.save(profile)
    path = store.path("tester")
    path.write_text("name: tester\nthinking_style: [oops\n")  # hand-edited into invalid YAML
    loaded = store.load_or_create("tester")
    assert loaded == profile
    [aside] = path.parent.glob("tester.unreadable-*.yaml")
    assert aside.read_text() == "name: tester\nthinking_style: [oops\n"  # kept, byte for byte
    [notice] = store.notices
    assert str(aside) in notice and "the last good copy was restored" in notice and "(line 3: " in notice


def test_a_truncated_profile_with_no_backup_starts_fresh_and_keeps_the_damaged_file(store):
    path = store.path("tester")
    path.parent.mkdir(parents=True)
    path.write_text("schema_version: 2\nname: tester\nlessons:\n  demo/levers: {status: compl")
    assert store.load_or_create("tester") == Profile(name="tester")
    assert len(list(path.parent.glob("tester.unreadable-*.yaml"))) == 1
    assert "a fresh profile was restored" in store.notices[0]


def test_a_version_1_profile_is_migrated(store):
    path = store.path("old")
    path.parent.mkdir(parents=True)
    path.write_text(
        "schema_version: 1\nname: old\nthinking_style: visual\ncurrent_lesson: demo/levers\n"
        "lessons:\n  demo/levers: {status: complete}\n"
        "analogies:\n- {lesson: demo/levers, concept: torque, analogy: wrench, outcome: worked}\n"
    )
    migrated = store.load_or_create("old")
    assert migrated.schema_version == 3
    assert migrated.thinking_style == "visual" and migrated.lessons["demo/levers"].status == "complete"
    assert migrated.analogies[0].outcome == "worked" and migrated.mastery == {} and migrated.reviews == {}
    store.save(migrated)
    assert "schema_version: 3" in path.read_text()


def test_a_profile_from_a_newer_tutor_is_refused_and_left_alone(store):
    path = store.path("future")
    path.parent.mkdir(parents=True)
    path.write_text("schema_version: 99\nname: future\n")
    with pytest.raises(UsageError, match="newer tutor"):
        store.load_or_create("future")
    assert path.read_text() == "schema_version: 99\nname: future\n"
    assert not list(path.parent.glob("future.unreadable-*"))


def test_a_second_session_on_a_locked_profile_is_refused(store):
    from pockettutor.utils.profiles import ProfileInUse

    with store.lock("tester"):
        with pytest.raises(ProfileInUse, match="open in another tutor session"):
            with store.lock("tester"):
                pass
    with store.lock("tester"):  # released: the next session gets it
        pass


def test_atomic_write_leaves_no_temp_files(tmp_path):
    target = tmp_path / "p.yaml"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert os.listdir(tmp_path) == ["p.yaml"]


def test_summary_mentions_style_and_preferences():
    text = Profile(name="x", experience="ML engineer", thinking_style="visual", preferences=["short"]).summary()
    assert "visual" in text and "ML engineer" in text and "short" in text


def test_onboarding_fills_the_profile_and_insists_on_a_real_style(make_console, profile):
    from pockettutor.utils.onboarding import onboard

    console = make_console(["I fine-tune BERT models", "5", "Mathematical", "worked examples"])
    profile.thinking_style = None
    assert onboard(console, profile) is True
    assert (profile.experience, profile.thinking_style, profile.preferences) == (
        "I fine-tune BERT models",
        "mathematical",
        ["worked examples"],
    )
    assert "Type 1, 2, 3 or 4" in console.text


def test_onboarding_can_be_skipped_whole_or_in_part(make_console, profile):
    from pockettutor.utils.onboarding import onboard

    profile.thinking_style = None
    assert onboard(make_console(["/skip"]), profile) is False
    assert (profile.experience, profile.thinking_style) == ("", None)
    assert onboard(make_console(["", "", ""]), profile) is True
    assert (profile.experience, profile.thinking_style, profile.preferences) == ("", None, [])


def test_what_a_new_learner_answered_before_leaving_onboarding_is_kept(isolated_home, monkeypatch):
    from conftest import FIXTURES

    from pockettutor import main
    from pockettutor.utils import console as console_module

    replies = ["I fine-tune models at work"]

    def learner(prompt):
        if not replies:
            raise KeyboardInterrupt  # Ctrl-C at the second question
        return replies.pop()

    class TerminalConsole(console_module.TutorConsole):
        """A console at a terminal, so onboarding asks its questions."""

        def __init__(self, **kwargs):
            super().__init__(input_fn=learner, **kwargs)
            self.interactive = True

    monkeypatch.setenv("TUTOR_LESSONS", str(FIXTURES))
    monkeypatch.setattr(console_module, "TutorConsole", TerminalConsole)
    with pytest.raises(KeyboardInterrupt):
        main.command_learn(main.build_parser().parse_args(["learn", "demo/levers"]))
    saved = ProfileStore(isolated_home).load_or_create("learner")
    assert saved.experience == "I fine-tune models at work"
