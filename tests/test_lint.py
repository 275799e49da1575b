"""`tutor lint`, the schema files and the course graph."""

import json
import re
import shutil

import pytest
from conftest import FIXTURES, ROOT, edited_library

from pockettutor import main
from pockettutor.utils.lessons import SCHEMA_FILES, json_schema
from pockettutor.utils.lint import lint, summary

PLANTED = ROOT / "tests" / "fixtures" / "planted"


def test_ten_planted_mistakes_give_ten_messages_at_their_lines():
    path = PLANTED / "demo" / "mistakes.yaml"
    expected = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        match = re.search(r"# MISTAKE: (.*)$", line)
        if match:
            expected[number] = match.group(1)
    assert len(expected) == 10
    problems = lint([PLANTED])
    assert len(problems) == 10, "\n".join(map(str, problems))
    for problem in problems:
        assert problem.path.endswith("mistakes.yaml")
        assert problem.line in expected, str(problem)
        assert expected[problem.line] in problem.message, str(problem)
    assert sorted(p.line for p in problems) == sorted(expected)
    assert {p.severity for p in problems} == {"error", "warning"}


@pytest.mark.slow
def test_the_shipped_library_lints_clean():
    assert lint([ROOT / "lessons"]) == []
    assert lint([FIXTURES]) == []


def test_schema_files_match_the_models():
    for model, name in SCHEMA_FILES.items():
        shipped = json.loads((ROOT / "lessons" / name).read_text())
        assert shipped == json_schema(model), f"lessons/{name} is stale: run utils.lessons.write_schemas('lessons')"


def test_schema_command_prints_the_lesson_schema(capsys):
    assert main.main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "PocketTutor lesson file, format 1"


def test_cli_lists_every_problem_then_a_summary_and_exits_1(capsys):
    assert main.main(["lint", str(PLANTED)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 11
    assert re.match(r".*mistakes\.yaml:\d+:\d+: (error|warning): ", lines[0])
    assert lines[-1] == "9 errors, 1 warning"


def test_cli_json(capsys):
    assert main.main(["lint", "--json", str(PLANTED)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert len(report["problems"]) == 10
    assert set(report["problems"][0]) == {"path", "line", "column", "severity", "message"}


def test_clean_library_exits_0(capsys):
    assert main.main(["lint", str(FIXTURES)]) == 0
    assert capsys.readouterr().out.strip() == "0 errors, 0 warnings"


def test_yaml_syntax_error_at_its_line(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("format: 1\nid: broken\ntitle: [oops\nsummary: x\n")
    problems = lint([bad])
    assert len(problems) == 1
    assert problems[0].severity == "error" and "invalid YAML" in problems[0].message


def test_missing_path_is_an_error(tmp_path):
    problems = lint([tmp_path / "nope.yaml"])
    assert problems[0].message == "no such file or folder"


def copy_fixtures(tmp_path):
    root = tmp_path / "lessons"
    shutil.copytree(FIXTURES, root)
    return root


def test_prerequisite_cycles_are_reported(tmp_path):
    root = copy_fixtures(tmp_path)
    course = root / "demo" / "course.yaml"
    course.write_text(course.read_text().replace("lessons: [levers]", "lessons: [levers, pulleys]"))
    levers = root / "demo" / "levers.yaml"
    pulleys = root / "demo" / "pulleys.yaml"
    pulleys.write_text(
        levers.read_text()
        .replace("id: levers", "id: pulleys", 1)
        .replace("summary: Why a long lever lifts a heavy stone.", "summary: Pulleys.\nprerequisites: [demo/levers]")
    )
    levers.write_text(
        levers.read_text().replace(
            "summary: Why a long lever lifts a heavy stone.", "summary: Levers.\nprerequisites: [demo/pulleys]"
        )
    )
    problems = [p for p in lint([root]) if "cycle" in p.message]
    assert len(problems) == 1
    assert (
        "demo/levers -> demo/pulleys -> demo/levers" in problems[0].message
        or "demo/pulleys -> demo/levers -> demo/pulleys" in problems[0].message
    )


def test_course_listing_a_missing_lesson(tmp_path):
    root = copy_fixtures(tmp_path)
    course = root / "demo" / "course.yaml"
    course.write_text(course.read_text().replace("lessons: [levers]", "lessons: [levers, ghost]"))
    problems = lint([root])
    assert [p.message for p in problems] == ["no lesson file ghost.yaml beside this course"]
    assert problems[0].line == course.read_text().splitlines().index("lessons: [levers, ghost]") + 1


def test_summary_wording():
    assert summary([]) == "0 errors, 0 warnings"


def test_learn_warns_but_does_not_refuse_unmet_prerequisites(tmp_path, monkeypatch, capsys):
    root = copy_fixtures(tmp_path)
    levers = root / "demo" / "levers.yaml"
    levers.write_text(
        levers.read_text().replace(
            "summary: Why a long lever lifts a heavy stone.", "summary: Levers.\nprerequisites: [demo/basics]"
        )
    )
    course = root / "demo" / "course.yaml"
    course.write_text(course.read_text().replace("lessons: [levers]", "lessons: [levers, basics]"))
    shutil.copy(levers, root / "demo" / "basics.yaml")
    (root / "demo" / "basics.yaml").write_text(
        levers.read_text()
        .replace("id: levers", "id: basics", 1)
        .replace("prerequisites: [demo/basics]", "prerequisites: []")
    )
    monkeypatch.setenv("TUTOR_LESSONS", str(root))
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(""))
    assert main.main(["learn", "demo/levers"]) == 0
    out = capsys.readouterr().out
    assert "builds on demo/basics, not finished yet; carrying on anyway" in out
    assert "Why does a longer lever" in out


@pytest.mark.slow  # reads all 35 lessons, twice
def test_path_command_lists_and_shows(capsys):
    assert main.main(["path"]) == 0
    out = capsys.readouterr().out
    assert "quickstart" in out and "full  The whole curriculum  35 lessons" in out
    assert "foundations  Foundations first  35 lessons" in out
    assert main.main(["path", "full"]) == 0
    steps = [line for line in capsys.readouterr().out.splitlines() if line[:4].strip().rstrip(".").isdigit()]
    assert len(steps) == 35
    assert steps[0].startswith('  1. What Does an LLM Actually "Know"?  icl-vs-finetuning/what-llms-know')
    assert steps[14].startswith(" 15. Quis Custodiet Ipsos Custodes?  review-committees/quis-custodiet")
    assert steps[24].startswith(" 25. Loss-Landscape Geometry  optimization/loss-landscape")
    assert steps[-1].startswith(" 35. Tokenization and Hallucination")
    assert main.main(["path", "foundations"]) == 0
    steps = [line for line in capsys.readouterr().out.splitlines() if line[:4].strip().rstrip(".").isdigit()]
    assert steps[0].startswith("  1. Bias, Variance and Empirical Risk Minimization")
    assert main.main(["path", "quickstart"]) == 0
    assert "lora/mechanics" in capsys.readouterr().out
    assert main.main(["path", "nowhere"]) == 1
    assert "unknown reading path 'nowhere'" in capsys.readouterr().err


def test_confused_with_must_name_a_concept_or_a_known_lesson(tmp_path):
    import shutil

    root = tmp_path / "lessons"
    shutil.copytree(FIXTURES, root)
    levers = root / "demo" / "levers.yaml"
    text = levers.read_text()
    levers.write_text(text.replace("- id: more-force\n", "- id: more-force\n            confused_with: pulleys\n"))
    [problem] = lint([root])
    assert (problem.line, problem.message) == (38, "no concept 'pulleys' in this lesson")
    levers.write_text(
        text.replace("- id: more-force\n", "- id: more-force\n            confused_with: demo/gears/teeth\n")
    )
    assert [p.message for p in lint([root])] == ["unknown lesson 'demo/gears'"]
    levers.write_text(text.replace("- id: more-force\n", "- id: more-force\n            confused_with: balance\n"))
    assert lint([root]) == []


def test_a_reference_answer_on_mixed_evidence_is_a_warning_naming_the_statement(tmp_path):
    # A learner who typed the reference answer would be asked to confirm it.
    reference = "so a longer arm needs less force for the same torque."
    root = edited_library(tmp_path, old=reference, new=reference + " A short arm needs a larger force.")
    [problem] = lint([root])
    assert (problem.line, problem.severity) == (26, "warning")
    assert problem.message == (
        "the reference answer is graded correct on mixed evidence: "
        "'A short arm needs a larger force' states 'less-force' the other way round"
    )


def test_a_diagram_too_wide_for_80_columns_is_a_warning(tmp_path):
    wide = "x" * 75
    root = edited_library(
        tmp_path,
        old="    explanation: Torque is force times distance from the pivot.\n",
        new="    explanation: |\n      Torque is force times distance from the pivot.\n\n"
        f"      ```text\n      {wide}\n      ```\n",
    )
    [problem] = lint([root])
    assert problem.severity == "warning" and "a diagram line is 75 characters wide" in problem.message


@pytest.mark.parametrize(
    "formula, complaint",
    [
        (r"τ = \frac{F}{d}", r"raw LaTeX '\\frac'"),
        ("τ_{net} = F·d", "raw LaTeX '_{'"),
        (r"$F^2$ grows", "raw LaTeX '$F^2$'"),
        ("the estimate τ̂ = F·d", "a combining accent (U+0302)"),
        ("𝔼[τ] = F·d", "'𝔼' (U+1D53C) is beyond what terminal fonts reliably have"),
    ],
)
def test_a_formula_a_terminal_cannot_show_is_an_error_at_its_line(tmp_path, formula, complaint):
    root = edited_library(tmp_path, old="Torque is force times", new=f"{formula}. Torque is force times")
    (problem,) = lint([root])
    assert problem.severity == "error" and complaint in problem.message
    assert problem.line == 11, "the explanation's line"


def test_unicode_formulas_and_prices_are_fine(tmp_path):
    formulas = "τ = F·d, τ₁ + τ₂ = 0, ‖w‖₁, σ², Σ, √n, θₜ₊₁ ← θₜ − η·∇L, ŷ, from $1 to $30 a month."
    assert lint([edited_library(tmp_path, old="Torque is force times", new=f"{formulas} Torque is force times")]) == []


def test_a_duplicate_stretch_id_is_an_error_at_its_line(tmp_path):
    """Found by the fuzz test: loading refused such a lesson while lint passed it."""
    text = (FIXTURES / "demo" / "levers.yaml").read_text()
    stretch = text[text.index("    stretch:\n") :].split("\n")
    first_id = next(line for line in stretch if line.strip().startswith("- id:"))
    root = edited_library(
        tmp_path,
        old="    stretch:\n",
        new="    stretch:\n" + first_id + "\n        prompt: again\n        answer: again\n",
    )
    problems = [p for p in lint([root]) if "duplicate stretch id" in p.message]
    assert len(problems) == 1 and problems[0].severity == "error"
