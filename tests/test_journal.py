"""The learner store between full saves: one journal line per save, folded into
NAME.yaml at the end of a command, read back whole after a crash."""

import json
from datetime import date

import pytest
import yaml
from conftest import an_analogy

from pockettutor.utils import profiles
from pockettutor.utils.profiles import Profile, ProfileStore


def started(store, name="tester"):
    """A profile saved in full once and loaded again, as a session starts."""
    store.save(Profile(name=name, thinking_style="mechanical"))
    return store.load_or_create(name)


def journal_lines(store, name="tester"):
    path = store.journal(name).path
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_save_appends_only_what_changed_and_leaves_the_full_file_alone(store):
    profile = started(store)
    before = store.path("tester").read_bytes()
    profile.record_answer("demo/levers", "torque", "correct", 0, 1, date(2026, 12, 7))
    store.save(profile)
    store.save(profile)  # nothing new: nothing written
    assert store.path("tester").read_bytes() == before
    [line] = journal_lines(store)
    assert set(line) == {"seq", "mastery", "active_days"}
    assert ProfileStore(store.home).load_or_create("tester") == profile


def test_a_line_costs_the_same_however_long_the_ledger(store):
    profile = started(store)
    for i in range(3000):
        profile.record_analogy("demo/levers", f"c{i % 50}", an_analogy(f"a{i}"))
    store.checkpoint(profile)
    profile.record_analogy("demo/levers", "torque", an_analogy("wrench"))
    profile.record_outcome("demo/levers", "torque", "incorrect")
    store.save(profile)
    [line] = journal_lines(store)
    assert line["analogies"] == {"3000": profile.analogies[-1].model_dump(exclude_none=True)}
    assert line["analogies"]["3000"]["outcome"] == "failed"
    assert len(json.dumps(line)) < 300


def test_an_outcome_given_to_an_older_record_is_journaled(store):
    profile = started(store)
    profile.record_analogy("demo/levers", "torque", an_analogy("wrench"))
    profile.record_analogy("demo/levers", "pivot", an_analogy("seesaw"))
    store.save(profile)
    profile.record_outcome("demo/levers", "torque", "correct")  # the older of the two records
    store.save(profile)
    assert journal_lines(store)[-1]["analogies"] == {"0": profile.analogies[0].model_dump(exclude_none=True)}
    reloaded = ProfileStore(store.home).load_or_create("tester")
    assert reloaded.analogies[0].outcome == "worked" and reloaded.familiar_terms() == profile.familiar_terms()


def test_a_removed_mastery_entry_stays_removed(store):
    profile = started(store)
    profile.mastery["demo/levers/torque"] = 0.7
    store.save(profile)
    del profile.mastery["demo/levers/torque"]  # a disputed verdict no longer counts
    store.save(profile)
    assert journal_lines(store)[-1]["removed"] == {"mastery": ["demo/levers/torque"]}
    assert ProfileStore(store.home).load_or_create("tester").mastery == {}


def test_the_end_of_a_command_folds_the_journal_into_the_full_file(store):
    started(store)
    with store.lock("tester"):
        profile = store.load_or_create("tester")
        profile.progress("demo/levers").concept = "torque"
        store.save(profile)
        store.save(profile)
        profile.notes = "likes worked examples"
        store.save(profile)
        assert len(journal_lines(store)) == 2
    assert not store.journal("tester").path.exists()
    on_disk = yaml.safe_load(store.path("tester").read_text())
    assert on_disk["notes"] == "likes worked examples" and on_disk["journal_seq"] == 2
    assert on_disk["lessons"]["demo/levers"]["concept"] == "torque"
    assert store.backup_path("tester").read_text() == store.path("tester").read_text()
    # The numbering goes on from the file's, so the next session's lines are never taken for old ones.
    later = ProfileStore(store.home)
    profile = later.load_or_create("tester")
    profile.notes = "prefers short answers"
    later.save(profile)
    assert journal_lines(store) == [{"seq": 3, "fields": {"notes": "prefers short answers"}}]


def test_a_crash_between_the_full_save_and_the_journal_removal_repeats_nothing(store, monkeypatch):
    profile = started(store)
    profile.record_analogy("demo/levers", "torque", an_analogy("wrench"))
    store.save(profile)
    monkeypatch.setattr(profiles.Journal, "remove", lambda self: None)  # killed just before the removal
    store.checkpoint(profile)
    assert len(journal_lines(store)) == 1  # the line is still there, and the full file holds it too
    reloaded = ProfileStore(store.home).load_or_create("tester")
    assert [r.analogy for r in reloaded.analogies] == ["wrench"]


def test_a_torn_last_line_is_the_turn_in_flight_and_an_unreadable_one_is_named(store):
    profile = started(store)
    profile.notes = "one"
    store.save(profile)
    profile.experience = "two"
    store.save(profile)
    path = store.journal("tester").path
    with path.open("a") as journal:
        journal.write('{"seq": 3, "fields": {"notes": "thr')
    torn = ProfileStore(store.home)
    assert (torn.load_or_create("tester").notes, torn.notices) == ("one", [])
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], "not json", lines[1]]) + "\n")
    damaged = ProfileStore(store.home)
    loaded = damaged.load_or_create("tester")
    assert (loaded.notes, loaded.experience) == ("one", "two")
    [notice] = damaged.notices
    assert "1 line(s)" in notice and "tester.journal" in notice


def test_a_journal_that_does_not_fit_the_profile_is_set_aside_by_a_session_only(store):
    profile = started(store)
    profile.notes = "kept"
    store.checkpoint(profile)
    store.journal("tester").append({"seq": 1, "fields": {"thinking_style": "telepathic"}})
    reader = ProfileStore(store.home)
    assert reader.existing("tester").thinking_style == "mechanical"
    assert "could not be applied" in reader.notices[0] and store.journal("tester").path.exists()
    session = ProfileStore(store.home)
    assert session.load_or_create("tester").notes == "kept"
    [aside] = store.folder.glob("tester.unreadable-*.journal")
    assert str(aside) in session.notices[0] and not store.journal("tester").path.exists()


def test_a_version_2_profile_loses_nothing_and_is_written_whole_at_its_first_save(store):
    path = store.path("two")
    path.parent.mkdir(parents=True)
    old = {
        "schema_version": 2,
        "name": "two",
        "thinking_style": "visual",
        "notes": "reads slowly",
        "current_lesson": "demo/levers",
        "lessons": {"demo/levers": {"status": "in_progress", "concept": "torque", "explained": True, "skipped": []}},
        "analogies": [{"lesson": "demo/levers", "concept": "torque", "analogy": "wrench", "outcome": "worked"}],
        "mastery": {"demo/levers/torque": 0.61},
        "reviews": {"demo/levers/torque/q1": {"card_id": 1, "due": "2026-12-08T00:00:00+00:00", "state": 2}},
        "style_changes": [{"at": "2026-12-01T10:00:00+00:00", "chosen": "visual", "reason": "3 of 3"}],
        "active_days": ["2026-12-01"],
    }
    path.write_text(yaml.safe_dump(old))
    migrated = store.load_or_create("two")
    assert migrated.model_dump(exclude_none=True, exclude={"schema_version"}) == {
        **{k: v for k, v in old.items() if k != "schema_version"},
        "experience": "",
        "preferences": [],
    }
    store.save(migrated)  # no change, but the file is of an older version: written whole
    on_disk = yaml.safe_load(path.read_text())
    assert on_disk["schema_version"] == 3 and on_disk["journal_seq"] == 0
    assert {k: on_disk[k] for k in old if k != "schema_version"} == {
        k: v for k, v in old.items() if k != "schema_version"
    }


def test_a_long_session_folds_its_journal_every_so_many_saves(store, monkeypatch):
    monkeypatch.setattr(profiles, "JOURNAL_LINES", 3)
    profile = started(store)
    for n in range(7):
        profile.notes = f"note {n}"
        store.save(profile)
    assert len(journal_lines(store)) == 1  # 3 folded, 3 folded, 1 waiting
    assert yaml.safe_load(store.path("tester").read_text())["notes"] == "note 5"
    assert ProfileStore(store.home).load_or_create("tester").notes == "note 6"


@pytest.mark.parametrize("command", ["reset", "delete", "rename"])
def test_reset_delete_and_rename_take_the_journal_with_them(store, command):
    profile = started(store)
    profile.record_answer("demo/levers", "torque", "correct", 0, 1, date(2026, 12, 7))
    store.save(profile)
    assert store.journal("tester").path.exists()
    if command == "rename":
        store.rename("tester", "renamed")
        assert ProfileStore(store.home).load_or_create("renamed").mastery == profile.mastery
    else:
        getattr(store, command)("tester")
    assert not store.journal("tester").path.exists()
    if command == "reset":
        assert ProfileStore(store.home).load_or_create("tester").mastery == {}


def test_a_turn_makes_its_transcript_durable_before_the_profile_that_points_past_it(store, monkeypatch):
    import os

    from pockettutor.utils.session import persist
    from pockettutor.utils.transcripts import Transcript

    profile = started(store)
    shared = {"profiles": store, "profile": profile, "transcript": Transcript(store.home / "t.jsonl")}
    shared["disputes"] = Transcript(store.home / "d.jsonl")
    synced, real_fsync = [], os.fsync

    def recording_fsync(fd):
        synced.append(os.path.basename(os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    shared["transcript"].append({"event": "answer", "text": "a lever multiplies force"})
    shared["transcript"].append({"event": "grade", "verdict": "correct"})
    profile.record_answer("demo/levers", "torque", "correct", 0, 1, date(2026, 12, 7))
    assert synced == []  # written, not yet synced: one fsync per turn, not per event
    persist(shared)
    assert synced == ["t.jsonl", "tester.journal"]
    persist(shared)  # nothing new: nothing synced
    assert synced == ["t.jsonl", "tester.journal"]
