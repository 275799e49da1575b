"""Nothing the learner did is lost: sessions killed at random moments, and two
sessions on one profile, run as real processes."""

import os
import random
import signal
import subprocess
import sys
import time

import pytest
import yaml
from conftest import FIXTURES

from pockettutor.utils.profiles import ProfileStore

KILLS = 100
CONCEPTS = 250  # more than 100 runs of at most 2 skips can reach, so progress never wraps round


def long_library(tmp_path):
    """The demo course with one lesson of CONCEPTS one-question concepts."""
    import shutil

    root = tmp_path / "lessons"
    shutil.copytree(FIXTURES, root)
    levers = yaml.safe_load((root / "demo" / "levers.yaml").read_text())
    template = levers["concepts"][0]
    levers["id"] = "long"
    levers["concepts"] = [{**template, "id": f"c{i:03d}", "title": f"Step {i}"} for i in range(CONCEPTS)]
    (root / "demo" / "long.yaml").write_text(yaml.safe_dump(levers))
    course = root / "demo" / "course.yaml"
    course.write_text(course.read_text().replace("lessons: [levers]", "lessons: [levers, long]"))
    return root


def start_session(home, lessons, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}
    env.update({"TUTOR_HOME": str(home), "TUTOR_LESSONS": str(lessons), "NO_COLOR": "1"})
    return subprocess.Popen(
        [sys.executable, "-m", "pockettutor", "learn", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def position(store):
    """(concept index, explained) of the long lesson in the saved profile."""
    assert not store.notices
    progress = store.load_or_create("learner").lessons.get("demo/long")
    if progress is None or progress.concept is None:
        return (-1, False)
    return (int(progress.concept[1:]), progress.explained)


@pytest.mark.slow
def test_sigkill_at_random_moments_never_loses_or_rewinds_progress(tmp_path):
    lessons, home = long_library(tmp_path), tmp_path / "home"
    rng = random.Random(20261123)
    store = ProfileStore(home)
    last = (-1, False)
    for _ in range(KILLS):
        session = start_session(home, lessons, "demo/long")
        try:
            for _ in range(rng.randint(0, 2)):
                session.stdin.write("/skip\n")
                session.stdin.flush()
        except BrokenPipeError:
            pass
        time.sleep(rng.uniform(0.0, 0.8))  # start-up, loading, a turn, a save: anywhere
        session.send_signal(signal.SIGKILL)
        session.communicate()
        store.notices.clear()
        now = position(store)  # the profile loads cleanly after every kill
        assert now >= last, f"progress went back from {last} to {now}"
        last = now
    assert last[0] > 0, "the sessions made no progress at all"
    assert not list((home / "profiles").glob("*.unreadable-*"))
    # The next session clears what killed writers left behind, and resumes.
    out, _ = start_session(home, lessons, "demo/long").communicate("/quit\n", timeout=60)
    assert f"Step {last[0]}" in out  # the concept the last kill left it at
    assert not list((home / "profiles").glob(".*.tmp"))


def test_a_second_session_on_the_same_profile_is_refused_and_the_first_keeps_its_turns(tmp_path):
    home = tmp_path / "home"
    first = start_session(home, FIXTURES, "demo/levers")
    first.stdin.write("Torque is force times distance, so less force.\n")
    first.stdin.flush()
    store = ProfileStore(home)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the first answer is saved
        saved = store.load_or_create("learner").lessons.get("demo/levers")
        if saved and saved.concept == "balance":
            break
        time.sleep(0.1)
    second = start_session(home, FIXTURES, "demo/levers")
    _, err = second.communicate("When the torques on both sides are equal.\n", timeout=60)
    assert second.returncode == 1
    assert err.strip().splitlines() == [
        "tutor: error: profile 'learner' is open in another tutor session; finish that one first, "
        "or use another profile with --profile NAME"
    ]
    out, _ = first.communicate("When the torques on both sides are equal.\n", timeout=60)
    assert first.returncode == 0 and "Lesson complete" in out
    assert store.load_or_create("learner").lessons["demo/levers"].status == "complete"
