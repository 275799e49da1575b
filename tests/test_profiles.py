import os

import pytest

from utils.errors import SourceError, UsageError
from utils.profiles import Profile, atomic_write_text, data_home


def test_data_home_honours_tutor_home(tmp_path):
    assert data_home({"TUTOR_HOME": str(tmp_path)}) == tmp_path


def test_round_trip(store, profile):
    profile.record_analogy("demo/levers", "torque", "wrench")
    profile.record_outcome("demo/levers", "torque", "incorrect")
    profile.progress("demo/levers").concept = "torque"
    store.save(profile)
    loaded = store.load_or_create("tester")
    assert loaded == profile
    assert loaded.failed_analogies("demo/levers", "torque") == {"wrench"}


def test_outcome_marks_only_the_last_shown_analogy(profile):
    profile.record_analogy("l", "c", "first")
    profile.record_outcome("l", "c", "incorrect")
    profile.record_analogy("l", "c", "second")
    profile.record_outcome("l", "c", "partial")
    profile.record_outcome("l", "c", "correct")
    assert [(r.analogy, r.outcome) for r in profile.analogies] == [("first", "failed"), ("second", "worked")]


def test_a_new_learner_gets_an_empty_profile(store):
    fresh = store.load_or_create("someone-new")
    assert fresh.name == "someone-new" and fresh.thinking_style is None and fresh.lessons == {}


def test_invalid_names_are_refused(store):
    with pytest.raises(UsageError):
        store.load_or_create("../escape")


def test_a_broken_profile_is_reported_not_overwritten(store):
    path = store.path("tester")
    path.parent.mkdir(parents=True)
    path.write_text("name: tester\nthinking_style: [oops\n")
    with pytest.raises(SourceError, match=r"started at line 2") as caught:
        store.load_or_create("tester")
    assert caught.value.line == 3
    assert path.read_text() == "name: tester\nthinking_style: [oops\n"


def test_atomic_write_leaves_no_temp_files(tmp_path):
    target = tmp_path / "p.yaml"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert os.listdir(tmp_path) == ["p.yaml"]


def test_summary_mentions_style_and_preferences():
    text = Profile(name="x", experience="ML engineer", thinking_style="visual", preferences=["short"]).summary()
    assert "visual" in text and "ML engineer" in text and "short" in text
