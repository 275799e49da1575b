import shutil

import pytest
from conftest import FIXTURES

from pockettutor.utils.errors import SourceError, UsageError
from pockettutor.utils.lessons import Lesson, Library, parse_model
from pockettutor.utils.yaml_source import parse_yaml


def copy_library(tmp_path):
    root = tmp_path / "lessons"
    shutil.copytree(FIXTURES, root)
    return root


def test_library_lists_and_resolves(demo_library):
    assert demo_library.lesson_refs() == ["demo/levers"]
    assert demo_library.resolve("demo") == "demo/levers"
    lesson = demo_library.lesson("demo/levers")
    assert [c.id for c in lesson.concepts] == ["torque", "balance"]
    assert demo_library.vocabulary()["lever"].name == "The Lever"


def test_unknown_lesson_names_the_known_ones(demo_library):
    with pytest.raises(UsageError, match="unknown lesson 'demo/nope'.*demo/levers"):
        demo_library.lesson("demo/nope")


def test_yaml_syntax_error_points_at_its_line(tmp_path):
    root = copy_library(tmp_path)
    path = root / "demo" / "levers.yaml"
    lines = path.read_text().splitlines()
    lines[3] = "summary: [unclosed"
    path.write_text("\n".join(lines))
    with pytest.raises(SourceError) as caught:
        Library(root).lesson("demo/levers")
    assert caught.value.path == str(path)
    assert caught.value.line is not None and caught.value.line >= 4
    assert "invalid YAML" in str(caught.value)


def test_schema_error_points_at_the_offending_key(tmp_path):
    root = copy_library(tmp_path)
    path = root / "demo" / "levers.yaml"
    text = path.read_text().replace(
        "        styles: [visual]\n        text: A child", "        styles: [smelly]\n        text: A child"
    )
    path.write_text(text)
    expected_line = next(i for i, line in enumerate(text.splitlines(), 1) if "[smelly]" in line)
    with pytest.raises(SourceError) as caught:
        Library(root).lesson("demo/levers")
    assert caught.value.line == expected_line
    assert "styles" in str(caught.value)


def test_unknown_field_is_reported_at_its_line(tmp_path):
    root = copy_library(tmp_path)
    path = root / "demo" / "levers.yaml"
    text = path.read_text().replace("title: Levers\n", "title: Levers\ncolour: blue\n")
    path.write_text(text)
    with pytest.raises(SourceError, match="unknown field 'colour'") as caught:
        Library(root).lesson("demo/levers")
    assert caught.value.line == 4


def test_missing_field_is_named(tmp_path):
    root = copy_library(tmp_path)
    path = root / "demo" / "levers.yaml"
    path.write_text(
        path.read_text().replace("    explanation: A lever balances when the torques on both sides are equal.\n", "")
    )
    with pytest.raises(SourceError, match="missing field 'explanation'"):
        Library(root).lesson("demo/levers")


def test_duplicate_ids_are_refused(tmp_path):
    root = copy_library(tmp_path)
    path = root / "demo" / "levers.yaml"
    path.write_text(path.read_text().replace("- id: crane", "- id: scales"))
    with pytest.raises(SourceError, match="duplicate analogy id 'scales'"):
        Library(root).lesson("demo/levers")


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"", "expected a mapping of fields, found an empty file"),
        (b"- just\n- a list\n", "expected a mapping of fields, found a list"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"a: !!python/object:os.system echo\n", "invalid YAML"),
        (b"[" * 200 + b"]" * 200, "nesting"),
    ],
)
def test_hostile_files_give_one_line_errors(tmp_path, content, problem):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=problem) as caught:
        parse_model(Lesson, path)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_a_directory_named_like_a_file(tmp_path):
    (tmp_path / "dir.yaml").mkdir()
    with pytest.raises(SourceError, match="is a directory"):
        parse_model(Lesson, tmp_path / "dir.yaml")


def test_positions_are_one_based():
    document = parse_yaml("a:\n  b:\n    - x\n    - y\n", "mem.yaml")
    assert document.position(("a", "b", 1)) == (4, 7)
    # a missing key is reported where its parent starts
    assert document.position(("a", "missing")) == (1, 1)
    assert document.position(("a", "b", 0, "missing")) == (3, 7)
