"""`tutor new course` / `tutor new lesson`: the files lint clean, play to the
end, and adding a lesson keeps the instructor's course.yaml as written."""

import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURES, ROOT

from pockettutor import main
from pockettutor.utils.errors import UsageError
from pockettutor.utils.lessons import SCHEMA_FILES, Course, Lesson, Library, shipped_library
from pockettutor.utils.lint import lint
from pockettutor.utils.scaffold import FIRST_LESSON, add_lesson_to_course, new_course, new_lesson


@pytest.fixture
def library(tmp_path):
    root = tmp_path / "lessons"
    shutil.copytree(FIXTURES, root)
    return root


def snapshot(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_new_course_then_lesson_lints_clean_in_an_existing_library(library):
    written = new_course(library, "mycourse")
    assert written == [library / "mycourse" / "course.yaml", library / "mycourse" / f"{FIRST_LESSON}.yaml"]
    written = new_lesson(library, "mycourse", "intro")
    assert written == [library / "mycourse" / "intro.yaml", library / "mycourse" / "course.yaml"]
    new_lesson(library, "demo", "extra")
    assert lint([library]) == []
    courses = Library(library).courses()
    assert courses["mycourse"].lessons == [FIRST_LESSON, "intro"]
    assert courses["demo"].lessons == ["levers", "extra"]
    assert Library(library).lesson("mycourse/intro").id == "intro"


def test_new_course_in_an_empty_library(tmp_path):
    root = tmp_path / "empty" / "lessons"  # not there yet: it is created
    new_course(root, "physics")
    assert lint([root]) == []
    assert Library(root).lesson_refs() == [f"physics/{FIRST_LESSON}"]
    assert Library(root).courses()["physics"].title == "Physics"


def test_names_yaml_would_misread_are_quoted(library):
    new_course(library, "101")
    new_lesson(library, "101", "yes")
    new_lesson(library, "101", "2024-01-01")
    assert lint([library]) == []
    assert Library(library).courses()["101"].lessons == [FIRST_LESSON, "yes", "2024-01-01"]
    assert Library(library).lesson("101/yes").id == "yes"


def test_the_template_lesson_is_complete(tmp_path):
    root = tmp_path / "lessons"
    new_course(root, "c")
    lesson = Library(root).lesson(f"c/{FIRST_LESSON}")
    assert len(lesson.concepts) == 1
    concept = lesson.concepts[0]
    assert concept.explanation.strip()
    assert len(concept.analogies) == 2
    assert concept.analogies[0].styles[0] != concept.analogies[1].styles[0]
    (question,) = concept.questions
    assert len(question.key_ideas) == 2
    assert all(idea.phrasings and idea.probe for idea in question.key_ideas)
    (misconception,) = question.misconceptions
    assert misconception.remedy and misconception.example
    assert len(question.hints) == 2
    assert sorted(sample.label for sample in question.samples) == ["correct", "incorrect", "partial"]


@pytest.mark.parametrize("model, text_of", [(Lesson, "lesson"), (Course, "course")])
def test_every_field_is_in_the_template_with_a_comment(tmp_path, model, text_of):
    written = dict(zip(("course", "lesson"), new_course(tmp_path / "lessons", "c"), strict=True))
    text = written[text_of].read_text()
    for field in model.model_fields:
        assert f"{field}:" in text, field
    assert sum(line.lstrip().startswith("#") for line in text.splitlines()) >= 10


def test_files_start_with_the_schema_line(tmp_path):
    root = tmp_path / "lessons"
    course_file, lesson_file = new_course(root, "c")
    assert course_file.read_text().splitlines()[0] == "# yaml-language-server: $schema=../course.schema.json"
    assert lesson_file.read_text().splitlines()[0] == "# yaml-language-server: $schema=../schema.json"
    for path, model in ((course_file, Course), (lesson_file, Lesson)):
        relative = path.read_text().splitlines()[0].split("$schema=")[1]
        assert (path.parent / relative).resolve() == (root / SCHEMA_FILES[model]).resolve()


def test_schema_line_points_at_the_shipped_schema_files(tmp_path):
    root = tmp_path / "lessons"
    shutil.copytree(ROOT / "lessons", root)
    for path in [*new_course(root, "c"), *new_lesson(root, "c", "second")]:
        relative = path.read_text().splitlines()[0].split("$schema=")[1]
        assert (path.parent / relative).is_file(), relative


def test_block_list_keeps_comments_and_layout(library):
    course = library / "demo" / "course.yaml"
    original = (
        "# The demo course, for the test suite.\n"
        "format: 1\n"
        "id: demo\n"
        "title: Demo course   # shown in the list\n"
        "summary: A two-concept course.\n"
        "lessons:        # teaching order\n"
        "  - levers      # the first\n"
        "  # more to come\n"
        "\n"
        "# Nothing below is a lesson.\n"
        "prerequisites: []\n"
    )
    course.write_text(original)
    new_lesson(library, "demo", "pulleys")
    assert course.read_text() == original.replace(
        "  - levers      # the first\n", "  - levers      # the first\n  - pulleys\n"
    )
    assert lint([library]) == []


def test_flow_list_keeps_comments_and_layout(library):
    course = library / "demo" / "course.yaml"
    original = course.read_text().replace("lessons: [levers]", "# in order\nlessons: [levers]  # more soon")
    course.write_text(original)
    new_lesson(library, "demo", "pulleys")
    new_lesson(library, "demo", "gears")
    assert course.read_text() == original.replace("[levers]", "[levers, pulleys, gears]")
    assert Library(library).courses()["demo"].lessons == ["levers", "pulleys", "gears"]
    assert lint([library]) == []


@pytest.mark.parametrize(
    "before, after",
    [
        ("lessons: []\n", "lessons: [new]\n"),
        ("lessons: [a, b,]\n", "lessons: [a, b, new]\n"),
        ("lessons: ['a', \"b]\"]\n", "lessons: ['a', \"b]\", new]\n"),
        (
            "lessons: [\n  a,  # one\n  b   # two ]\n]\nx: 1\n",
            "lessons: [\n  a,  # one\n  b,   # two ]\n  new\n]\nx: 1\n",
        ),
        ("lessons: [\n  a,\n  b,\n]\n", "lessons: [\n  a,\n  b,\n  new,\n]\n"),
        ("lessons:\n- a\n- b\nx: 1\n", "lessons:\n- a\n- b\n- new\nx: 1\n"),
        ("lessons:\n    -   a\n", "lessons:\n    -   a\n    -   new\n"),
        ("lessons:\n  - a", "lessons:\n  - a\n  - new"),
        ("lessons:\nx: 1\n", "lessons:\n  - new\nx: 1\n"),
        ("lessons:\r\n  - a\r\n# c\r\nx: 1\r\n", "lessons:\r\n  - a\r\n  - new\r\n# c\r\nx: 1\r\n"),
    ],
)
def test_adding_to_each_list_style(before, after):
    assert add_lesson_to_course(before, "new") == after


def test_a_lesson_already_listed_leaves_course_yaml_alone(library):
    course = library / "demo" / "course.yaml"
    course.write_text(course.read_text().replace("[levers]", "[levers, later]"))
    before = course.read_bytes()
    assert new_lesson(library, "demo", "later") == [library / "demo" / "later.yaml"]
    assert course.read_bytes() == before
    assert lint([library]) == []


@pytest.mark.parametrize("text", ["format: 1\nid: demo\ntitle: t\n", "meta:\n  lessons: [levers]\n"])
def test_no_lessons_list_is_a_usage_error_and_writes_nothing(library, text):
    (library / "demo" / "course.yaml").write_text(text)
    before = snapshot(library)
    with pytest.raises(UsageError, match=r"course\.yaml: found no top-level `lessons:` list"):
        new_lesson(library, "demo", "pulleys")
    assert snapshot(library) == before


@pytest.mark.parametrize("name", ["Intro", "-intro", "intro_2", "two words", "", "../escape", "a/b", "x\ny"])
def test_bad_names_are_refused(library, name):
    before = snapshot(library)
    for call in (lambda: new_course(library, name), lambda: new_lesson(library, "demo", name)):
        with pytest.raises(UsageError, match="invalid (course|lesson) name") as raised:
            call()
        assert "\n" not in str(raised.value)
    with pytest.raises(UsageError, match="invalid course name"):
        new_lesson(library, name, "fine")
    assert snapshot(library) == before


@pytest.mark.parametrize("name", ["course", "vocabulary", "paths"])
def test_lesson_names_of_special_files_are_refused(library, name):
    with pytest.raises(UsageError, match=f"{name}.yaml is a special file name"):
        new_lesson(library, "demo", name)


def test_existing_files_are_never_overwritten(library):
    before = snapshot(library)
    with pytest.raises(UsageError) as raised:
        new_course(library, "demo")
    assert str(raised.value) == f"{library / 'demo' / 'course.yaml'} already exists; not overwriting it"
    with pytest.raises(UsageError, match=r"levers\.yaml already exists"):
        new_lesson(library, "demo", "levers")
    (library / "half").mkdir()
    (library / "half" / f"{FIRST_LESSON}.yaml").write_text("kept\n")
    with pytest.raises(UsageError, match=f"{FIRST_LESSON}.yaml already exists"):
        new_course(library, "half")
    assert not (library / "half" / "course.yaml").exists()
    (library / "plain").write_text("a file, not a folder\n")
    with pytest.raises(UsageError, match="is not a folder"):
        new_course(library, "plain")
    assert snapshot(library) == {
        **before,
        Path("half") / f"{FIRST_LESSON}.yaml": b"kept\n",
        Path("plain"): b"a file, not a folder\n",
    }


def test_a_lesson_in_an_unknown_course_is_refused(library):
    before = snapshot(library)
    with pytest.raises(UsageError, match=r"unknown course 'nope': there is no .*nope/course\.yaml"):
        new_lesson(library, "nope", "intro")
    assert snapshot(library) == before


@pytest.mark.parametrize("course", ["mycourse", "demo"])
def test_the_new_lesson_plays_to_the_end(library, tmp_path, monkeypatch, capsys, course):
    if course == "mycourse":
        new_course(library, course)
    new_lesson(library, course, "intro")
    lesson = Library(library).lesson(f"{course}/intro")
    answers = [s.text for c in lesson.concepts for q in c.questions for s in q.samples if s.label == "correct"]
    assert answers
    script = tmp_path / "play.yaml"
    script.write_text(
        yaml.safe_dump(
            {
                "lesson": f"{course}/intro",
                "turns": answers,
                "expect": {"verdicts": ["correct"] * len(answers), "ended": "complete"},
            }
        )
    )
    monkeypatch.setenv("TUTOR_LESSONS", str(library))
    status = main.main(["replay", str(script), "--check"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "every expectation met" in out
    assert "Lesson complete" in out


def test_wrong_and_partial_samples_play_as_labelled(library, tmp_path, monkeypatch, capsys):
    new_course(library, "c")
    lesson = Library(library).lesson(f"c/{FIRST_LESSON}")
    samples = {s.label: s.text for s in lesson.concepts[0].questions[0].samples}
    script = tmp_path / "play.yaml"
    script.write_text(
        yaml.safe_dump(
            {
                "lesson": "c",
                "turns": [samples["incorrect"], "/hint", samples["partial"], samples["correct"]],
                "expect": {"verdicts": ["incorrect", "partial", "correct"], "ended": "complete"},
            }
        )
    )
    monkeypatch.setenv("TUTOR_LESSONS", str(library))
    assert main.main(["replay", str(script), "--check"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert lesson.concepts[0].questions[0].misconceptions[0].remedy.split()[0] in out
    assert lesson.concepts[0].questions[0].hints[0] in out


def test_cli_new_writes_into_the_users_lesson_folder(isolated_home, monkeypatch, capsys):
    monkeypatch.setenv("TUTOR_SHIPPED_LESSONS", "0")  # linting only what this test wrote
    mine = isolated_home / "lessons"
    assert main.main(["new", "course", "x"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"wrote {mine / 'x' / 'course.yaml'}", f"wrote {mine / 'x' / FIRST_LESSON}.yaml"]
    assert main.main(["new", "lesson", "x", "y"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"wrote {mine / 'x' / 'y.yaml'}", f"wrote {mine / 'x' / 'course.yaml'}"]
    # The `$schema` lines of the new files point at schemas beside them, for editors.
    assert (mine / "schema.json").is_file() and "$schema=../schema.json" in (mine / "x" / "y.yaml").read_text()
    assert main.main(["lint"]) == 0
    assert capsys.readouterr().out.strip() == "0 errors, 0 warnings"
    assert "x/y" in Library().lesson_refs()


def test_cli_new_into_a_folder(library, capsys):
    assert main.main(["new", "course", "x", "--into", str(library)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"wrote {library / 'x' / 'course.yaml'}"


def test_a_shipped_course_takes_no_new_lesson(capsys):
    assert main.main(["new", "lesson", "lora", "extra"]) == 1
    assert "'lora' is a shipped course; `tutor new course NAME` starts one of your own" in capsys.readouterr().err
    assert not (shipped_library() / "lora" / "extra.yaml").exists()


def test_cli_errors_are_one_line(library, capsys):
    into = ["--into", str(library)]
    assert main.main(["new", "lesson", "nope", "y", *into]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown course 'nope'" in err
    assert main.main(["new", "course", "Bad_Name", *into]) == 1
    assert "invalid course name 'Bad_Name'" in capsys.readouterr().err
    assert main.main(["new", "course", "demo", *into]) == 1
    assert "already exists" in capsys.readouterr().err


def guide_blocks(kind):
    """The ```KIND blocks of docs/authoring.md, in order (inner fences are indented)."""
    text = (ROOT / "docs" / "authoring.md").read_text()
    return re.findall(rf"^```{kind}\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)


def test_the_authoring_guide_shows_real_lint_output(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    new_course(Path("lessons"), "mycourse")
    draft, final = [block for block in guide_blocks("yaml") if "\nconcepts:\n" in block]
    assert "style: [visual, everyday]" in draft
    (shown_for_draft,) = [block for block in guide_blocks("console") if "fewer than 2 analogies" in block]
    lesson = Path("lessons/mycourse/intro.yaml")
    for text, shown in ((draft, shown_for_draft), (final, "$ tutor lint\n0 errors, 0 warnings\n")):
        lesson.write_text(text)
        status = main.main(["lint", "lessons"])
        assert "$ tutor lint\n" + capsys.readouterr().out == shown
        assert status == (1 if "error:" in shown else 0)
    script = next(block for block in guide_blocks("yaml") if block.startswith("lesson: mycourse/intro"))
    Path("lessons/mycourse/course.yaml").write_text(
        Path("lessons/mycourse/course.yaml").read_text().replace("- first-lesson", "- intro")
    )
    Path("intro-replay.yaml").write_text(script)
    monkeypatch.setenv("TUTOR_LESSONS", "lessons")
    assert main.main(["replay", "intro-replay.yaml", "--check"]) == 0, capsys.readouterr().err
