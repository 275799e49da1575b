"""The lint cache: a second run over unchanged lessons reads its findings back, and
never serves a stale one: a changed lesson, a changed library around it, a deleted
lesson file or a changed tutor is checked again."""

import shutil

from conftest import FIXTURES, ROOT

from pockettutor.utils.lint import lint
from pockettutor.utils.lint_cache import LintCache

PLANTED = ROOT / "tests" / "fixtures" / "planted"


def copy(source, tmp_path, name="lib"):
    root = tmp_path / name
    shutil.copytree(source, root)
    return root


def test_a_warm_run_gives_exactly_the_cold_runs_findings(tmp_path):
    root = copy(PLANTED, tmp_path)
    cache = LintCache(tmp_path / "cache")
    cold = lint([root], cache=cache)
    assert cold == lint([root]), "the cache changes nothing on a first run"
    assert cache.misses >= 1 and cache.hits == 0
    warm_cache = LintCache(tmp_path / "cache")
    assert lint([root], cache=warm_cache) == cold
    assert warm_cache.hits >= 1 and warm_cache.misses == 0


def test_a_changed_lesson_is_checked_again(tmp_path):
    root = copy(FIXTURES, tmp_path)
    assert lint([root], cache=LintCache(tmp_path / "cache")) == []
    lesson = root / "demo" / "levers.yaml"
    lesson.write_text(lesson.read_text().replace("id: levers", "id: pulleys", 1))
    problems = lint([root], cache=LintCache(tmp_path / "cache"))
    assert [p.message for p in problems] == ["lesson id 'pulleys' differs from its file name 'levers'"]


def test_a_change_around_a_lesson_checks_it_again(tmp_path):
    """The lesson is unchanged, but the vocabulary term its analogy names is gone."""
    root = copy(FIXTURES, tmp_path)
    assert lint([root], cache=LintCache(tmp_path / "cache")) == []
    vocabulary = root / "vocabulary.yaml"
    vocabulary.write_text(vocabulary.read_text().replace("id: lever", "id: crowbar", 1))
    problems = lint([root], cache=LintCache(tmp_path / "cache"))
    assert "unknown vocabulary term 'lever'" in [p.message for p in problems]


def test_a_deleted_lesson_is_reported_by_its_course_on_a_warm_run(tmp_path):
    root = copy(FIXTURES, tmp_path)
    assert lint([root], cache=LintCache(tmp_path / "cache")) == []
    (root / "demo" / "levers.yaml").unlink()
    problems = lint([root], cache=LintCache(tmp_path / "cache"))
    assert any("no lesson file levers.yaml" in p.message for p in problems)


def test_a_prerequisite_cycle_is_found_from_cached_lessons(tmp_path):
    root = copy(FIXTURES, tmp_path)
    lesson = root / "demo" / "levers.yaml"
    text = lesson.read_text()
    lesson.write_text(text.replace("title:", "prerequisites: [demo/levers]\ntitle:", 1))
    cold = lint([root], cache=LintCache(tmp_path / "cache"))
    assert any("prerequisite cycle" in p.message for p in cold)
    warm_cache = LintCache(tmp_path / "cache")
    assert lint([root], cache=warm_cache) == cold and warm_cache.hits == 1


def test_a_changed_tutor_checks_everything_again(tmp_path):
    root = copy(FIXTURES, tmp_path)
    lint([root], cache=LintCache(tmp_path / "cache"))
    newer = LintCache(tmp_path / "cache")
    newer._code = "another version of the grader"
    assert lint([root], cache=newer) == [] and newer.hits == 0


def test_a_damaged_entry_is_a_miss(tmp_path):
    root = copy(FIXTURES, tmp_path)
    lint([root], cache=LintCache(tmp_path / "cache"))
    for entry in (tmp_path / "cache").rglob("*.json"):
        entry.write_text("{not json")
    cache = LintCache(tmp_path / "cache")
    assert lint([root], cache=cache) == [] and cache.misses == 1


def test_many_files_are_checked_in_parallel_with_the_same_findings(tmp_path):
    """Twenty lessons, two of them with a problem and one closing a prerequisite cycle."""
    root = copy(FIXTURES, tmp_path)
    course = root / "demo" / "course.yaml"
    source = (root / "demo" / "levers.yaml").read_text()
    ids = [f"copy-{n}" for n in range(20)]
    for lesson_id in ids:
        (root / "demo" / f"{lesson_id}.yaml").write_text(source.replace("id: levers", f"id: {lesson_id}", 1))
    (root / "demo" / "copy-3.yaml").write_text(source.replace("id: levers", "id: wrong-name", 1))
    cycle = source.replace("id: levers", "id: copy-7", 1).replace("title:", "prerequisites: [demo/copy-7]\\ntitle:", 1)
    (root / "demo" / "copy-7.yaml").write_text(cycle)
    course.write_text(course.read_text().replace("lessons: [levers]", f"lessons: [levers, {', '.join(ids)}]"))
    one_by_one = lint([root])
    assert len(one_by_one) == 2, one_by_one
    assert lint([root], workers=2) == one_by_one
    cache = LintCache(tmp_path / "cache")
    assert lint([root], cache=cache, workers=2) == one_by_one and cache.misses == 21
    warm = LintCache(tmp_path / "cache")
    assert lint([root], cache=warm, workers=2) == one_by_one and warm.hits == 21
