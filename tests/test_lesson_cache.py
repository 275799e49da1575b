"""The lesson cache: a lesson file's validated models are read back on the next run,
never stale (a changed file, or a changed tutor, is parsed again), and anything wrong
with an entry or the cache folder only costs a parse. Also: the first question of an
offline session loads neither the grader nor the LLM client."""

import hashlib
import json
import os
import pickle
import shutil
import subprocess
import sys
from datetime import date

import pytest
from conftest import FIXTURES, run_tutor

from pockettutor.utils import lesson_cache
from pockettutor.utils.lesson_cache import MAGIC, LessonCache
from pockettutor.utils.lessons import Course, Lesson, Library, parse_model

REF = "demo/levers"


def library(root, folder):
    return Library(root, cache=LessonCache(folder))


def lesson_file(root):
    return root / "demo" / "levers.yaml"


@pytest.fixture
def root(tmp_path):
    copy = tmp_path / "lessons"
    shutil.copytree(FIXTURES, copy)
    return copy


def test_a_cached_lesson_equals_the_parsed_one(root, tmp_path):
    cold = library(root, tmp_path / "cache")
    parsed = cold.lesson(REF)
    assert cold.cache.hits == 0 and cold.cache.misses >= 2  # the course, then the lesson
    warm = library(root, tmp_path / "cache")
    cached = warm.lesson(REF)
    assert warm.cache.misses == 0 and warm.cache.hits == cold.cache.misses
    assert cached == parsed == parse_model(Lesson, lesson_file(root))
    assert cached is not parsed and type(cached) is Lesson
    assert warm.courses() == cold.courses() and warm.vocabulary() == cold.vocabulary()


def test_a_changed_lesson_is_parsed_again(root, tmp_path):
    library(root, tmp_path / "cache").lesson(REF)
    path = lesson_file(root)
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    title = parse_model(Lesson, path).title
    # The same length and the same modification time: only the bytes tell the change.
    changed = title[:-1] + ("X" if title[-1] != "X" else "Y")
    path.write_text(text.replace(f"title: {title}", f"title: {changed}", 1), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    again = library(root, tmp_path / "cache")
    assert again.lesson(REF).title == changed
    assert again.cache.misses == 1  # the lesson; the unchanged course file is read back
    assert library(root, tmp_path / "cache").lesson(REF).title == changed


def test_a_new_tutor_parses_again(root, tmp_path, monkeypatch):
    library(root, tmp_path / "cache").lesson(REF)
    monkeypatch.setattr(lesson_cache, "code_fingerprint", lambda: "another version of the tutor")
    newer = library(root, tmp_path / "cache")
    newer.lesson(REF)
    assert newer.cache.hits == 0


def test_the_same_bytes_at_another_path_have_their_own_entry(root, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(root, other)
    library(root, tmp_path / "cache").lesson(REF)
    elsewhere = library(other, tmp_path / "cache")
    assert elsewhere.lesson(REF) == library(root, tmp_path / "cache").lesson(REF)
    assert elsewhere.cache.hits == 0
    assert len(list((tmp_path / "cache").glob("*.pickle"))) == 2 * 2  # a course and a lesson each


def damage_truncate(data):
    return data[: len(data) // 2]


def damage_flip(data):
    return data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:]


def damage_empty(data):
    return b""


def damage_garbage(data):
    return os.urandom(len(data))


@pytest.mark.parametrize("damage", [damage_truncate, damage_flip, damage_empty, damage_garbage])
def test_a_damaged_entry_is_a_miss_and_is_written_again(root, tmp_path, damage):
    cache = tmp_path / "cache"
    good = library(root, cache).lesson(REF)
    entries = sorted(cache.glob("*.pickle"))
    for entry in entries:
        entry.write_bytes(damage(entry.read_bytes()))
    damaged = library(root, cache)
    assert damaged.lesson(REF) == good
    assert damaged.cache.hits == 0 and damaged.cache.misses == len(entries)
    rewritten = library(root, cache)
    assert rewritten.lesson(REF) == good
    assert rewritten.cache.hits == len(entries) and rewritten.cache.misses == 0


def test_an_entry_changed_inside_is_a_miss(root, tmp_path):
    """Still a well-formed pickle of a lesson, with one letter changed: the hash it records tells."""
    cache = tmp_path / "cache"
    good = library(root, cache).lesson(REF)
    entry = LessonCache(cache)._entry_path(Lesson, lesson_file(root))
    title = good.title.encode()
    data = entry.read_bytes()
    assert title in data
    entry.write_bytes(data.replace(title, title[:-1] + (b"X" if title[-1:] != b"X" else b"Y")))
    again = library(root, cache)
    assert again.lesson(REF) == good
    assert again.cache.misses == 1


def key_of(root, cache):
    return LessonCache(cache).key(Lesson, lesson_file(root), lesson_file(root).read_bytes())


def write_entry(cache, root, value):
    """An entry with the right key and a payload hash that matches: only its contents are wrong."""
    key = key_of(root, cache)
    payload = pickle.dumps(value)
    entry = LessonCache(cache)._entry_path(Lesson, lesson_file(root))
    entry.write_bytes(MAGIC + key.encode() + b"\n" + hashlib.sha256(payload).digest() + payload)


class MakesAFolder:
    """Unpickled, it would call os.mkdir: what a planted entry could do if any callable were allowed."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return os.mkdir, (str(self.path),)


def test_an_entry_naming_anything_but_the_lesson_model_is_never_loaded(root, tmp_path):
    cache, planted = tmp_path / "cache", tmp_path / "planted"
    good = library(root, cache).lesson(REF)
    course = Course(format=1, id="demo", title="t", summary="s", lessons=["levers"])
    for value in (MakesAFolder(planted), date(2020, 1, 1), course):
        write_entry(cache, root, value)
        again = library(root, cache)
        assert again.lesson(REF) == good
        assert again.cache.hits == 1 and again.cache.misses == 1  # the course; not the lesson
    assert not planted.exists()


def test_a_cache_folder_others_may_write_in_is_not_trusted(root, tmp_path):
    cache = tmp_path / "cache"
    good = library(root, cache).lesson(REF)
    if not hasattr(os, "getuid"):
        pytest.skip("no POSIX modes")
    cache.chmod(0o777)
    shared = library(root, cache)
    assert shared.lesson(REF) == good
    assert shared.cache.hits == 0


@pytest.mark.parametrize("blocked", ["a file", "a file above"])
def test_a_cache_that_cannot_be_written_still_teaches(root, tmp_path, blocked):
    if blocked == "a file":
        cache = tmp_path / "cache"
        cache.write_text("not a folder")
    else:
        (tmp_path / "above").write_text("not a folder")
        cache = tmp_path / "above" / "cache"
    for _ in range(2):
        blocked_library = library(root, cache)
        assert blocked_library.lesson(REF) == parse_model(Lesson, lesson_file(root))
        assert blocked_library.cache.hits == 0
    assert not list(tmp_path.glob("**/*.tmp"))


def test_a_session_with_an_unwritable_cache_teaches(isolated_home):
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "cache").write_text("not a folder")
    only_fixtures = {"TUTOR_LESSONS": str(FIXTURES), "TUTOR_SHIPPED_LESSONS": "0"}
    result = run_tutor(isolated_home, "learn", REF, stdin="/quit\n", env=only_fixtures, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Question" in result.stdout and result.stderr == ""


# Run in a fresh interpreter: which modules the first question of a lesson loaded.
FIRST_QUESTION = """
import json, sys
from pockettutor.main import main
status = main(["learn", "demo/levers"])
names = ("pockettutor.utils.grading", "snowballstemmer", "rapidfuzz", "openai")
print(json.dumps({"status": status, "loaded": [name for name in names if name in sys.modules]}))
"""


def test_the_first_question_loads_neither_the_grader_nor_the_llm_client(isolated_home):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "TUTOR_"))}
    env.update(TUTOR_HOME=str(isolated_home), NO_COLOR="1", TUTOR_LESSONS=str(FIXTURES), TUTOR_SHIPPED_LESSONS="0")
    for cache in ("cold", "warm"):
        result = subprocess.run(
            [sys.executable, "-c", FIRST_QUESTION], input="/quit\n", capture_output=True, text=True, env=env, timeout=60
        )
        assert result.returncode == 0, result.stderr
        assert "Question" in result.stdout, cache
        report = json.loads(result.stdout.strip().splitlines()[-1])
        assert report == {"status": 0, "loaded": []}, cache
    assert list((isolated_home / "cache" / "lessons").glob("*.pickle"))
