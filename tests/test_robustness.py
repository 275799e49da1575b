"""Robustness: no file, however broken, crashes `tutor lint` or `tutor learn`.

Whatever is written to the demo lesson file (tests/fixtures/lessons/demo/levers.yaml,
in a copy of the fixture library) - random YAML documents, mutations of the real
lesson, random bytes, text in a wrong encoding, deep nesting, huge files, python
tags, alias bombs - these must hold:

* `utils.lint.lint([root])` returns a list of Problems and never raises;
* `main.main(["learn", "demo/levers", "--offline"])` with empty stdin returns 0 or 1,
  never 70 (an internal error), and on 1 prints exactly one `tutor: error: ` line;
* `main.main(["lint", root])` returns 0 or 1 (1 exactly when lint reports an error);
* lint is at least as strict as the loader: if `learn` refuses the file, lint reports
  an error; if lint reports no error, `learn` runs the lesson (exit 0).

Crashes found while writing this file are kept at the end as regression tests (each
was fixed while the file was being written).
"""

import contextlib
import copy
import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pockettutor import main
from pockettutor.utils.lint import Problem, lint
from pockettutor.utils.yaml_source import MAX_BYTES, MAX_DEPTH

LESSON = Path("demo") / "levers.yaml"
LESSON_TEXT = (FIXTURES / LESSON).read_text(encoding="utf-8")
LESSON_DATA = yaml.safe_load(LESSON_TEXT)
COURSE_DATA = yaml.safe_load((FIXTURES / "demo" / "course.yaml").read_text(encoding="utf-8"))
VOCABULARY_DATA = yaml.safe_load((FIXTURES / "vocabulary.yaml").read_text(encoding="utf-8"))


# function_scoped_fixture: the library copy and the monkeypatch are set up once per
# test and every example rewrites the file and uses a fresh TUTOR_HOME, so reusing
# them across examples is intended. database=None: no .hypothesis/ in the repo.
def examples(count):
    return settings(
        max_examples=count,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# ----------------------------------------------------------------------------------
# Running the product
# ----------------------------------------------------------------------------------


@pytest.fixture
def library(tmp_path, monkeypatch):
    """A private copy of the fixture library, as $TUTOR_LESSONS."""
    root = tmp_path / "lib"
    shutil.copytree(FIXTURES, root)
    monkeypatch.setenv("TUTOR_LESSONS", str(root))
    monkeypatch.setenv("NO_COLOR", "1")
    return root


def write(path, content):
    """Replace `path` (file or directory) by `content`: str, bytes, or DIRECTORY."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    if content is DIRECTORY:
        path.mkdir()
        (path / "inside.yaml").write_text("format: 1\n", encoding="utf-8")
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


DIRECTORY = object()


def run_main(argv, monkeypatch):
    """main.main(argv) in-process with an empty stdin and a fresh TUTOR_HOME."""
    out, err = io.StringIO(), io.StringIO()
    with tempfile.TemporaryDirectory(prefix="tutor-home-") as home:
        monkeypatch.setenv("TUTOR_HOME", home)
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main.main(list(argv))
    return code, out.getvalue(), err.getvalue()


def assert_one_line_error(err):
    """One terminal line: no newline or carriage return before the final newline.
    (str.splitlines() would also split at \\x1c-\\x1e, \\x85, \\u2028...: not line ends on a terminal.)"""
    assert err.startswith("tutor: error: ") and err.endswith("\n"), err
    assert "Traceback" not in err
    assert "\n" not in err[:-1] and "\r" not in err, err


def check_library(root, monkeypatch):
    """The robustness contract for the library at `root`; returns lint's problems."""
    # 1. lint, in-process: a list of Problems, never an exception.
    problems = lint([root])
    assert isinstance(problems, list)
    assert all(isinstance(p, Problem) for p in problems), problems
    assert all(p.severity in ("error", "warning") and p.line >= 1 and p.column >= 1 for p in problems)
    errors = [p for p in problems if p.severity == "error"]

    # 2. learn: 0 or 1, never 70; a refusal is one line, and lint is at least as strict.
    code, _, err = run_main(["learn", "demo/levers", "--offline"], monkeypatch)
    assert code in (main.EXIT_OK, main.EXIT_ERROR), err
    if code == main.EXIT_ERROR:
        assert_one_line_error(err)
        assert errors, f"learn refused the lesson but lint found no error: {err}"
    else:
        assert err == "", err
    if not errors:
        assert code == main.EXIT_OK, f"lint found no error but learn refused: {err}"

    # 3. the lint command: 0 or 1, and 1 exactly when lint reports an error.
    code, out, err = run_main(["lint", str(root)], monkeypatch)
    assert code == (main.EXIT_ERROR if errors else main.EXIT_OK), out + err
    assert err == "", err
    assert out.splitlines()[-1].endswith(("warning", "warnings")), out
    return problems


def check_content(root, content, monkeypatch, name=LESSON):
    write(root / name, content)
    return check_library(root, monkeypatch)


def errors_at(problems, root, name=LESSON):
    target = str(root / name)
    return [p for p in problems if p.severity == "error" and p.path == target]


# ----------------------------------------------------------------------------------
# Strategies
# ----------------------------------------------------------------------------------

FIELDS = sorted(
    {
        "format", "id", "title", "summary", "prerequisites", "synonyms", "concepts", "explanation",
        "analogies", "questions", "term", "styles", "text", "prompt", "reference_answer", "key_ideas",
        "description", "phrasings", "probe", "misconceptions", "remedy", "example", "hints", "samples",
        "label", "lessons", "number", "terms", "name", "meaning", "introduced_in",
    }
)  # fmt: skip
TRICKY = [
    "", " ", "\t", "levers", "demo/levers", "demo", "[/bold]", "[red]", "[", "]", "**", "`", "<b>",
    "\x00", "\x1b[31m", "\u202e", "\ufeff", "é", "🙂", "-1", "1e309", "null", "~", "yes", "NaN", "%s", "{0}",
    "correct", "partial", "incorrect", "mechanical", "lever", "Torque is force times distance.",
]  # fmt: skip

keys = st.sampled_from(FIELDS) | st.text(max_size=12)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(TRICKY)
    | st.integers(100, 400).map(lambda n: "torque " * n)
)
junk = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=12,
)
documents = junk | st.dictionaries(keys, junk, max_size=8)


def dump(data, flow, unicode):
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=flow, allow_unicode=unicode, width=80)


dump_options = st.tuples(st.sampled_from([False, True, None]), st.booleans())


def places(node, at=()):
    """Every path (tuple of keys and indexes) in a plain data tree."""
    yield at
    if isinstance(node, dict):
        for key, value in node.items():
            yield from places(value, (*at, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from places(value, (*at, index))


def get(node, at):
    for part in at:
        node = node[part]
    return node


def retype(value):
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return {str(i): item for i, item in enumerate(value)} if value else {}
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return float(value) if value else "0"
    return 1


@st.composite
def mutated(draw, original):
    """`original` with one to four random edits: a key dropped, a value replaced,
    retyped or made tricky, junk inserted, a list item duplicated (duplicate ids)."""
    data = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.sampled_from(list(places(data))))
        op = draw(st.sampled_from(["drop", "replace", "retype", "tricky", "insert", "duplicate"]))
        if op == "drop" and at:
            parent = get(data, at[:-1])
            del parent[at[-1]]
            continue
        if op == "insert":
            target = get(data, at)
            if isinstance(target, dict):
                target[draw(keys)] = draw(junk)
                continue
            if isinstance(target, list):
                target.insert(draw(st.integers(0, len(target))), draw(junk))
                continue
        if op == "duplicate":
            target = get(data, at)
            if isinstance(target, list) and target:
                target.append(copy.deepcopy(draw(st.sampled_from(target))))
                continue
        old = get(data, at)
        if op == "retype":
            new = retype(old)
        elif op == "tricky":
            new = draw(st.sampled_from(TRICKY) | st.text(max_size=40) | st.text(min_size=200, max_size=400))
        else:
            new = draw(junk)
        if not at:
            data = new
        else:
            get(data, at[:-1])[at[-1]] = new
    return data


# ----------------------------------------------------------------------------------
# Properties
# ----------------------------------------------------------------------------------


@pytest.mark.slow
@examples(100)
@given(data=documents, options=dump_options)
def test_any_yaml_document_is_handled(library, monkeypatch, data, options):
    check_content(library, dump(data, *options), monkeypatch)


@pytest.mark.slow
@examples(120)
@given(data=mutated(LESSON_DATA), options=dump_options)
def test_mutated_lesson_is_handled(library, monkeypatch, data, options):
    problems = check_content(library, dump(data, *options), monkeypatch)
    if data == LESSON_DATA:
        assert problems == []


@pytest.mark.slow
@examples(60)
@given(
    name=st.sampled_from(["demo/course.yaml", "vocabulary.yaml"]),
    course=mutated(COURSE_DATA),
    vocabulary=mutated(VOCABULARY_DATA),
)
def test_mutated_course_and_vocabulary_files_are_handled(library, monkeypatch, name, course, vocabulary):
    check_content(library, dump(course if name.startswith("demo") else vocabulary, False, True), monkeypatch, name)


@pytest.mark.slow
@examples(80)
@given(
    content=st.binary(max_size=3000)
    | st.builds(
        lambda cut, noise: LESSON_TEXT.encode()[:cut] + noise + LESSON_TEXT.encode()[cut:],
        st.integers(0, len(LESSON_TEXT)),
        st.binary(min_size=1, max_size=40),
    )
)
def test_random_bytes_are_handled(library, monkeypatch, content):
    check_content(library, content, monkeypatch)


@examples(30)
@given(
    encoding=st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252"]),
    extra=st.text(max_size=20),
)
def test_wrong_encoding_is_an_error_at_the_file(library, monkeypatch, encoding, extra):
    text = LESSON_TEXT.replace("title: Levers", "title: Hebel é " + yaml.safe_dump(extra).split("\n")[0])
    problems = check_content(library, text.encode(encoding, errors="replace"), monkeypatch)
    assert errors_at(problems, library), problems


# ----------------------------------------------------------------------------------
# Structural cases
# ----------------------------------------------------------------------------------

DEEP = 10_000


@pytest.mark.parametrize(
    "content",
    [
        "[" * DEEP + "]" * DEEP,
        "{a: " * DEEP + "}" * DEEP,
        "- " * DEEP + "x\n",
        "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5),
        "a: [b, {c: d\n",  # unclosed
        "&a [*a]",  # a list that contains itself
        "&a {k: *a}",
    ],
    ids=["lists", "mappings", "block-sequences", "just-too-deep", "unclosed", "self-list", "self-mapping"],
)
def test_deep_nesting_is_an_error(library, monkeypatch, content):
    problems = check_content(library, content, monkeypatch)
    assert errors_at(problems, library), problems


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "empty"),
        ("# only a comment\n", "empty"),
        ("\n\n   \n", "empty"),
        ("---\n...\n", "empty"),
        ("format: 1\n---\nformat: 1\n", "invalid YAML"),
        ("- a list\n", "found a list"),
        ("just text\n", "found a str"),
        ("42\n", "found a int"),
        (DIRECTORY, "directory"),
    ],
    ids=["empty", "comment", "blank", "empty-document", "two-documents", "list", "str", "int", "directory"],
)
def test_not_a_lesson_is_one_error(library, monkeypatch, content, message):
    problems = check_content(library, content, monkeypatch)
    errors = errors_at(problems, library)
    assert len(errors) == 1 and message in errors[0].message, problems


def test_file_over_the_size_limit_is_refused(library, monkeypatch):
    content = LESSON_TEXT + "# padding\n" * ((MAX_BYTES - len(LESSON_TEXT)) // 10 + 1)
    assert len(content) > MAX_BYTES
    problems = check_content(library, content, monkeypatch)
    assert [p.message for p in errors_at(problems, library)] == ["larger than 5 MB; not a lesson file"]


def test_a_50_mb_file_is_refused_quickly(library, monkeypatch):
    path = library / LESSON
    with open(path, "wb") as handle:
        handle.write(LESSON_TEXT.encode())
        block = b"junk: [" + b"x" * 1000 + b"]\n"
        for _ in range(50 * 1024 * 1024 // len(block)):
            handle.write(block)
    assert path.stat().st_size > 49 * 1024 * 1024
    problems = check_library(library, monkeypatch)
    assert [p.message for p in errors_at(problems, library)] == ["larger than 5 MB; not a lesson file"]


@pytest.mark.parametrize(
    "template",
    [
        "!!python/object/apply:os.system ['touch {marker}']\n",
        "title: !!python/object/apply:os.system ['touch {marker}']\n",
        "!!python/object/apply:subprocess.check_call [[touch, {marker}]]\n",
        "!!python/object/new:subprocess.Popen [[touch, {marker}]]\n",
        "!!python/name:os.system\n",
        "!!python/module:os\n",
        "!!python/object:collections.OrderedDict {{a: 1}}\n",
        "format: 1\nid: !!python/tuple [levers]\n",
        "format: !custom 1\n",
        "!<tag:example.com,2000:app/foo> x\n",
    ],
)
def test_python_and_unknown_tags_are_refused_without_side_effects(library, monkeypatch, tmp_path, template):
    marker = tmp_path / "pwned"
    problems = check_content(library, template.format(marker=marker), monkeypatch)
    assert errors_at(problems, library), problems
    assert not marker.exists()


@pytest.mark.parametrize(
    "replace, by",
    [
        ("title: Levers", "title: !!binary TGV2ZXJz"),
        ("title: Levers", "title: !!timestamp 2001-12-14"),
        ("title: Levers", "title: !!set {a, b}"),
        ("title: Levers", "title: !!omap [a: 1, b: 2]"),
        ("title: Levers", "title: !!float .nan"),
        ("synonyms:\n  force: [push, effort]", "synonyms: !!omap [force: [push]]"),
        ("format: 1", "format: 1\n<<: {x: 1}"),
        ("format: 1", "format: 1\nformat: 1"),  # duplicate key
        ("format: 1", "? [a, b]\n: c\nformat: 1"),  # unhashable key
        ("format: 1", "? {a: b}\n: c\nformat: 1"),
        ("format: 1", "1: one\nformat: 1"),  # a key that is not a string
        ("format: 1", "format: true"),
        ("format: 1", "format: 1.0"),
    ],
)
def test_safe_but_unexpected_yaml_is_handled(library, monkeypatch, replace, by):
    assert replace in LESSON_TEXT
    check_content(library, LESSON_TEXT.replace(replace, by, 1), monkeypatch)


def alias_bomb(levels, key="concepts"):
    """'Billion laughs': each level is a list of nine aliases to the level below."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(lines) + f"\n{key}: *a{levels - 1}\n"


@pytest.mark.parametrize("levels", [2, 3, 4])
def test_small_alias_bombs_are_handled(library, monkeypatch, levels):
    problems = check_content(library, alias_bomb(levels), monkeypatch)
    assert errors_at(problems, library)


def test_aliases_inside_a_valid_lesson_are_fine(library, monkeypatch):
    text = LESSON_TEXT.replace("hints:\n          - Think", "hints: &h\n          - Think", 1).replace(
        "hints:\n          - Compare the two sides.", "hints: *h"
    )
    assert "*h" in text
    assert check_content(library, text, monkeypatch) == []


# ----------------------------------------------------------------------------------
# Regressions: each of these crashed (exit 70, an exception, or a hang) at fb6cf1e,
# where this file was written; fixed in 89b79f8 and a17fa66.
# ----------------------------------------------------------------------------------

# utils/yaml_source.py:parse_yaml built yaml.SafeLoader(text) outside its try block, and
# PyYAML's Reader checks every character in its constructor: ReaderError, exit 70.
NON_PRINTABLE = [
    b"\x00",
    LESSON_TEXT.replace("title: Levers", "title: Levers\x0c", 1).encode(),  # a form feed
    LESSON_TEXT.replace("title: Levers", "title: \x1b[1mLevers\x1b[0m", 1).encode(),  # terminal escapes
    LESSON_TEXT.encode("utf-16-le"),  # UTF-16 without a BOM is valid UTF-8 full of NUL bytes
]
NON_PRINTABLE_IDS = ["nul", "form-feed", "escape", "utf-16-le"]


@pytest.mark.parametrize("content", NON_PRINTABLE, ids=NON_PRINTABLE_IDS)
def test_non_printable_characters_are_an_error_in_lint(library, content):
    (library / LESSON).write_bytes(content)
    problems = lint([library])
    assert errors_at(problems, library), problems


@pytest.mark.parametrize("content", NON_PRINTABLE, ids=NON_PRINTABLE_IDS)
def test_non_printable_characters_are_one_error_line_in_learn(library, monkeypatch, content):
    (library / LESSON).write_bytes(content)
    code, _, err = run_main(["learn", "demo/levers", "--offline"], monkeypatch)
    assert code == main.EXIT_ERROR, err
    assert_one_line_error(err)


# utils/lint.py:_check_lesson/_check_course/_check_paths iterated `data.get(KEY) or []`:
# a scalar raised TypeError: 'int' object is not iterable.
@pytest.mark.parametrize(
    "name, replace, by",
    [
        ("demo/levers.yaml", "title: Levers", "title: Levers\nprerequisites: 5"),
        ("demo/course.yaml", "lessons: [levers]", "lessons: 5"),
        ("demo/course.yaml", "lessons: [levers]", "lessons: [levers]\nprerequisites: true"),
        ("paths.yaml", "", "format: 1\npaths:\n  - id: p\n    title: P\n    steps: 5\n"),
    ],
    ids=["lesson-prerequisites", "course-lessons", "course-prerequisites", "paths-steps"],
)
def test_a_scalar_where_a_list_belongs_is_an_error(library, monkeypatch, name, replace, by):
    path = library / name
    write(path, path.read_text(encoding="utf-8").replace(replace, by, 1) if path.exists() else by)
    problems = check_library(library, monkeypatch)
    assert any("valid list" in p.message for p in errors_at(problems, library, name)), problems


# utils/lint.py:_cycles used each prerequisite as a dict key: TypeError: unhashable type.
@pytest.mark.parametrize("item", ["[a]", "{a: b}"])
def test_an_unhashable_prerequisite_is_an_error(library, monkeypatch, item):
    problems = check_content(
        library, LESSON_TEXT.replace("title: Levers", f"title: Levers\nprerequisites: [{item}]"), monkeypatch
    )
    assert errors_at(problems, library), problems


# nodes.py passed lesson and concept titles to console.rule / Panel(title=str), which parse
# rich markup: '[/bold]' raised rich.errors.MarkupError in `tutor learn` (lint was clean).
@pytest.mark.parametrize(
    "replace, by, shown",
    [("title: Levers", "title: '[/bold]'", "[/bold]"), ("title: Torque", "title: 'Torque [/x]'", "Torque [/x]")],
    ids=["lesson-title", "concept-title"],
)
def test_markup_in_a_title_is_shown_as_text(library, monkeypatch, replace, by, shown):
    assert check_content(library, LESSON_TEXT.replace(replace, by, 1), monkeypatch) == []
    code, out, err = run_main(["learn", "demo/levers", "--offline"], monkeypatch)
    assert code == main.EXIT_OK, err
    assert shown in out


# utils/lint.py:_cycles.visit recursed once per prerequisite: RecursionError for a chain
# of ~1,000 lessons.
def test_a_long_prerequisite_chain_is_no_cycle(tmp_path):
    course = tmp_path / "lib" / "c"
    course.mkdir(parents=True)
    ids = [f"l{i:04d}" for i in range(1500)]
    (course / "course.yaml").write_text(f"format: 1\nid: c\ntitle: C\nsummary: S\nlessons: [{', '.join(ids)}]\n")
    for index, lesson_id in enumerate(ids):
        after = f"[c/{ids[index + 1]}]" if index + 1 < len(ids) else "[]"
        (course / f"{lesson_id}.yaml").write_text(f"format: 1\nid: {lesson_id}\nprerequisites: {after}\n")
    problems = lint([tmp_path / "lib"])
    assert problems and not any("cycle" in p.message for p in problems)


def test_a_prerequisite_cycle_is_still_found(library, monkeypatch):
    problems = check_content(
        library, LESSON_TEXT.replace("title: Levers", "title: Levers\nprerequisites: [demo/levers]"), monkeypatch
    )
    assert [p.message for p in errors_at(problems, library)] == [
        "lesson prerequisite cycle: demo/levers -> demo/levers"
    ]


# utils/yaml_source.py:_depth walked every path through the node graph: a 1-KB "billion
# laughs" file (9 levels of 9 aliases) cost 9**9 visits, and lint/learn hung for minutes.
# Run as a subprocess with a timeout, so a regression fails instead of hanging the suite.
def test_billion_laughs_is_refused_quickly(library, isolated_home):
    run_cli_on(library, isolated_home, alias_bomb(9), timeout=20)


# Error messages quoted field names raw (utils/lessons.py, utils/lint.py): a key with a
# newline split `tutor: error: ...` and a lint record over two lines.
@pytest.mark.parametrize(
    "key", ['"bad\\nfield"', '"bad\\rfield"', '"bad\\efield"'], ids=["newline", "return", "escape"]
)
def test_learn_error_is_one_line_whatever_the_field_name(library, monkeypatch, key):
    (library / LESSON).write_text(LESSON_TEXT.replace("format: 1", f"{key}: 1\nformat: 1", 1), encoding="utf-8")
    code, _, err = run_main(["learn", "demo/levers", "--offline"], monkeypatch)
    assert code == main.EXIT_ERROR, err
    assert_one_line_error(err)
    assert "\x1b" not in err


def test_lint_records_are_one_line_whatever_the_field_name(library, monkeypatch):
    (library / LESSON).write_text(LESSON_TEXT.replace("format: 1", '"bad\\nfield": 1\nformat: 1', 1))
    code, out, _ = run_main(["lint", str(library)], monkeypatch)
    assert code == main.EXIT_ERROR
    lines = out.rstrip("\n").split("\n")
    assert len(lines) == 2 and lines[0].startswith(f"{library / LESSON}:1:1: error: unknown field"), out
    assert lines[1] == "1 error, 0 warnings"


# utils/lint.py:_check_course called Path.is_file(), which re-raises ENAMETOOLONG:
# OSError: [Errno 36] File name too long.
def test_a_very_long_lesson_id_in_a_course_is_an_error(library, monkeypatch):
    course = library / "demo" / "course.yaml"
    text = course.read_text(encoding="utf-8").replace("lessons: [levers]", f"lessons: [levers, {'x' * 300}]")
    problems = check_content(library, text, monkeypatch, name=Path("demo") / "course.yaml")
    assert any("no lesson file" in p.message for p in problems), problems


# ----------------------------------------------------------------------------------
# Segfaults: since 48298c4 utils/yaml_source.py:parse_yaml composes with yaml.CSafeLoader
# (libyaml) when present. Its composer (yaml/_yaml.pyx CParser._compose_node, called from
# loader.get_single_node()) recurses in C, unseen by Python's recursion limit, and
# overflows the C stack at ~25,000 nested collections - a 25 KB file - before the
# MAX_DEPTH check runs: `tutor lint` and `tutor learn` die with SIGSEGV (exit 139), no
# error line. Since b3dd3c2, utils/yaml_source.py:_may_nest_deeply sends text that may
# nest deeply to the pure-Python loader. Its first version tracked bracket depth, also
# inside quoted scalars, so '["]", ' * 30000 scanned as depth <= 1 and still segfaulted
# (test_quoted_brackets_do_not_hide_deep_nesting).
# Each case runs in a subprocess: a segfault must fail a test, not kill the test run.
# ----------------------------------------------------------------------------------

VERY_DEEP = 100_000  # a 100-400 KB file, well under the 5 MB limit


def run_cli_on(library, home, content, timeout=60):
    (library / LESSON).write_text(content, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}
    env.update(TUTOR_LESSONS=str(library), TUTOR_HOME=str(home))
    for args in (["lint", str(library)], ["learn", "demo/levers", "--offline"]):
        result = subprocess.run(
            [sys.executable, "-m", "pockettutor", *args],
            capture_output=True,
            text=True,
            env=env,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
        )
        assert result.returncode == 1, f"{args[0]}: exit {result.returncode}: {result.stderr[-500:]}"
        assert str(library / LESSON) in result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "content",
    ["[" * VERY_DEEP + "]" * VERY_DEEP, "{a: " * VERY_DEEP + "}" * VERY_DEEP, "- " * VERY_DEEP + "x\n"],
    ids=["lists", "mappings", "block-sequences"],
)
def test_very_deep_nesting_is_an_error_not_a_segfault(library, isolated_home, content):
    run_cli_on(library, isolated_home, content)


@pytest.mark.slow
@pytest.mark.parametrize(
    "content", ['["]", ' * 30_000, '{"}": ' * 30_000, "[']', " * 30_000], ids=["lists", "mappings", "single-quoted"]
)
def test_quoted_brackets_do_not_hide_deep_nesting(library, isolated_home, content):
    run_cli_on(library, isolated_home, content)


# ----------------------------------------------------------------------------------
# Special files named like a lesson: refused without being opened
# ----------------------------------------------------------------------------------


def limit_memory():  # in the child: 1 GiB of address space, so /dev/zero cannot take the machine
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1024**3, 1024**3))


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="needs POSIX special files")
@pytest.mark.parametrize("kind", ["dev-zero", "fifo"])
def test_a_special_file_named_like_a_lesson_is_an_error(library, isolated_home, kind):
    path = library / LESSON
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}
    env.update(TUTOR_LESSONS=str(library), TUTOR_HOME=str(isolated_home))
    result = subprocess.run(
        [sys.executable, "-m", "pockettutor", "lint", str(library)],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=5,
        preexec_fn=limit_memory,
    )
    assert result.returncode == 1, f"exit {result.returncode}: {result.stderr[-500:]}"
    assert str(path) in result.stdout
