"""`tutor disputes`: verdicts learners disputed with /disagree, listed for instructors and
resolved into labelled samples of the lesson file, its comments and layout kept."""

import difflib
import io
import json
import re
import sys
from pathlib import Path

import pytest
from conftest import ROOT, ScriptedConsole, edited_library

from pockettutor import main
from pockettutor.main import run_session
from pockettutor.utils.disputes import editable_problem, find_target, read_disputes, resolve
from pockettutor.utils.lessons import Library, SampleAnswer
from pockettutor.utils.lint import lint
from pockettutor.utils.profiles import ProfileStore
from pockettutor.utils.sample_insert import add_sample
from pockettutor.utils.scaffold import new_course
from pockettutor.utils.teachers import OfflineTeacher
from pockettutor.utils.transcripts import disputes_path
from pockettutor.utils.yaml_source import parse_yaml

TORQUE_PARTIAL = "With a long lever you need less force."
TORQUE_REST = "Torque is force times distance."
# The lesson's own core, which the rubric of balance-when does not recognise: a grader mistake.
BALANCE_IN_OTHER_WORDS = "When what turns it one way matches what turns it the other way."
COMMENTED = (
    "      - id: balance-when\n"
    "        # Asked after the torque question; keep the prompt short.\n"
    "        prompt: When does a lever stop tipping?  # the learners' favourite\n"
)


@pytest.fixture
def library_root(tmp_path, monkeypatch):
    """A copy of the fixture library, with comments in it, as the only lesson folder."""
    root = edited_library(
        tmp_path, old="      - id: balance-when\n        prompt: When does a lever stop tipping?\n", new=COMMENTED
    )
    monkeypatch.setenv("TUTOR_LESSONS", str(root))
    monkeypatch.setenv("TUTOR_SHIPPED_LESSONS", "false")
    return root


@pytest.fixture
def disputed(library_root, isolated_home):
    """Two disputes recorded by a real session: a partial verdict on why-long, and an
    incorrect one on balance-when for an answer the rubric should accept."""
    store = ProfileStore(isolated_home)
    profile = store.load_or_create("ana")
    replies = [
        TORQUE_PARTIAL,
        "/disagree I said the main thing",
        TORQUE_REST,
        BALANCE_IN_OTHER_WORDS,
        "/disagree that is what the lesson said",
    ]
    console = ScriptedConsole(replies)
    with store.lock("ana"):
        run_session(console, OfflineTeacher(), Library(library_root), store, profile, "demo/levers")
    disputes = read_disputes([isolated_home])
    assert [(d.question_ref, d.record["verdict"]) for d in disputes] == [
        ("demo/levers/torque/why-long", "partial"),
        ("demo/levers/balance/balance-when", "incorrect"),
    ]
    return disputes


def flat(text):
    """Screen text as one line: the console wraps long paths."""
    return " ".join(text.split())


def lesson_file(root):
    return root / "demo" / "levers.yaml"


def inserted_lines(before, after):
    """The lines `after` adds to `before`, failing if it changes or removes any."""
    added = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines()).get_opcodes():
        assert op in ("equal", "insert"), f"{op}: {before.splitlines()[i1:i2]} -> {after.splitlines()[j1:j2]}"
        if op == "insert":
            added += after.splitlines()[j1:j2]
    return added


def test_disputes_lists_the_open_ones_with_prompt_answer_verdict_evidence_and_reason(disputed, capsys):
    assert main.main(["disputes"]) == 0
    out = capsys.readouterr().out
    first, second = disputed
    assert f"{first.id}  open  ana" in out and f"{second.id}  open  ana" in out
    assert "question: demo/levers/torque/why-long: Why does a longer lever make lifting easier?" in out
    assert f"answer: {TORQUE_PARTIAL}" in out and "verdict: partial (" in out
    assert "met: less-force (less force is needed for the same torque)" in out
    assert 'evidence: idea less-force: "With a long lever you need less force"' in out
    assert "reason: that is what the lesson said" in out
    assert "2 open in" in out


def test_json_lists_open_disputes_and_all_of_them_with_all(disputed, capsys):
    assert main.main(["disputes", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert (listed["open"], listed["resolved"]) == (2, 0)
    entry = listed["disputes"][0]
    assert set(entry) == {
        "id", "learner", "file", "line", "status", "at", "question", "prompt", "answer", "verdict",
        "confidence", "engine", "met", "missed", "misconceptions", "reversed", "evidence", "reason", "resolution",
    }  # fmt: skip
    assert entry["learner"] == "ana" and entry["status"] == "open" and entry["resolution"] is None
    assert entry["prompt"] == "Why does a longer lever make lifting easier?"
    assert entry["evidence"] == [{"kind": "idea", "id": "less-force", "quote": "With a long lever you need less force"}]

    assert main.main(["disputes", "resolve", disputed[0].id, "--label", "partial"]) == 0
    capsys.readouterr()
    assert main.main(["disputes", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [e["id"] for e in listed["disputes"]] == [disputed[1].id]
    assert main.main(["disputes", "--all", "--json"]) == 0
    every = json.loads(capsys.readouterr().out)
    assert (every["open"], every["resolved"]) == (1, 1)
    resolved = every["disputes"][0]
    assert resolved["status"] == "resolved" and resolved["resolution"]["label"] == "partial"
    assert resolved["resolution"]["sample"].endswith("levers.yaml:48")


def test_resolving_inserts_only_the_sample_lines_keeps_comments_and_lints_them(disputed, library_root, capsys):
    path = lesson_file(library_root)
    before = path.read_text()
    console = ScriptedConsole(["p", "correct"])
    outcome = resolve(disputed, [], Library(library_root), console)
    assert (outcome.resolved, outcome.problems) == (2, [])
    after = path.read_text()
    assert inserted_lines(before, after) == [
        f'          - {{text: "{TORQUE_PARTIAL}", label: partial}}',
        "        samples:",
        f'          - {{text: "{BALANCE_IN_OTHER_WORDS}", label: correct}}',
    ]
    assert "# Asked after the torque question; keep the prompt short." in after
    assert "prompt: When does a lever stop tipping?  # the learners' favourite" in after
    # It loads, the samples are the answers with their labels, and the new samples are regression tests.
    lesson = Library(library_root).lesson("demo/levers")
    samples = [q.samples[-1] for c in lesson.concepts for q in c.questions]
    assert samples == [
        SampleAnswer(text=TORQUE_PARTIAL, label="partial"),
        SampleAnswer(text=BALANCE_IN_OTHER_WORDS, label="correct"),
    ]
    [finding] = lint([path], roots=[library_root])
    assert finding.line == 76 and "sample labelled correct is graded incorrect" in finding.message
    screen = flat(console.text)
    assert "The rubric grades it partial, as labelled." in screen
    assert f"{path}:76:" in screen and "change the rubric until `tutor lint` passes" in screen
    # each dispute is marked resolved, with its label, by an appended record
    assert [(d.status, d.resolution["label"]) for d in read_disputes([disputed[0].file.parent.parent])] == [
        ("resolved", "partial"),
        ("resolved", "correct"),
    ]


def test_resolving_twice_adds_nothing(disputed, library_root, capsys):
    path = lesson_file(library_root)
    first = disputed[0].id
    assert main.main(["disputes", "resolve", first, "--label", "partial"]) == 0
    once = path.read_text()
    assert main.main(["disputes", "resolve", first, "--label", "partial"]) == 0
    assert "already resolved as partial" in capsys.readouterr().out
    assert path.read_text() == once
    assert disputed[0].file.read_text().count('"resolves"') == 1


def test_a_sample_already_in_the_file_is_not_added_again(disputed, library_root):
    """As after a crash between writing the lesson and marking the dispute: the
    sample is found, and the dispute is marked resolved."""
    path = lesson_file(library_root)
    path.write_text(add_sample(path.read_text(), path, "torque", "why-long", TORQUE_PARTIAL, "partial").text)
    text = path.read_text()
    edit = add_sample(text, path, "torque", "why-long", TORQUE_PARTIAL, "partial")
    assert edit.text is None and edit.existing_label == "partial" and edit.first_line == 48
    console = ScriptedConsole()
    outcome = resolve(disputed, [disputed[0].id], Library(library_root), console, label="partial")
    assert outcome.resolved == 1 and path.read_text() == text
    assert f"it is a sample already, at {path}:48" in flat(console.text)
    assert read_disputes([disputed[0].file.parent.parent])[0].status == "resolved"


def test_a_sample_already_labelled_otherwise_leaves_the_dispute_open(disputed, library_root):
    path = lesson_file(library_root)
    path.write_text(add_sample(path.read_text(), path, "torque", "why-long", TORQUE_PARTIAL, "correct").text)
    text = path.read_text()
    outcome = resolve(disputed, [disputed[0].id], Library(library_root), ScriptedConsole(), label="partial")
    assert outcome.resolved == 0 and path.read_text() == text
    [problem] = outcome.problems
    assert f"{path}:48: this answer is a sample already, labelled correct" in problem
    assert read_disputes([disputed[0].file.parent.parent])[0].status == "open"


def test_the_installed_lessons_are_refused_and_a_source_checkout_is_not(disputed, library_root, tmp_path):
    installed = tmp_path / "site-packages" / "pockettutor" / "lessons"
    installed.parent.mkdir(parents=True)
    library_root.rename(installed)
    before = lesson_file(installed).read_text()
    console = ScriptedConsole(["correct"])
    outcome = resolve(disputed, [], Library(installed), console, shipped=installed)
    assert outcome.resolved == 0 and len(outcome.problems) == 2
    assert "is one of the lessons installed with the tutor, which an upgrade replaces" in outcome.problems[0]
    assert "`tutor config set lessons THAT_FOLDER`" in outcome.problems[0]
    assert "Label:" not in console.text  # nothing asked that could not be written
    assert lesson_file(installed).read_text() == before
    assert all(d.status == "open" for d in read_disputes([disputed[0].file.parent.parent]))

    (installed.parent / "pyproject.toml").write_text("[project]\nname = 'pockettutor'\n")
    target = find_target(Library(installed), disputed[0].question_ref)
    assert editable_problem(target, shipped=installed) is None


def test_end_of_input_midway_leaves_every_file_whole(disputed, library_root):
    path = lesson_file(library_root)
    before = path.read_text()
    console = ScriptedConsole(["incorrect"])  # then the input ends
    outcome = resolve(disputed, [], Library(library_root), console)
    assert outcome.stopped and outcome.resolved == 1
    assert "1 resolved, 0 skipped; stopped with 1 left open." in flat(console.text)
    assert inserted_lines(before, path.read_text()) == [f'          - {{text: "{TORQUE_PARTIAL}", label: incorrect}}']
    assert Library(library_root).lesson("demo/levers")  # still loads
    states = [d.status for d in read_disputes([disputed[0].file.parent.parent])]
    assert states == ["resolved", "open"]
    lines = [json.loads(line) for line in disputed[0].file.read_text().splitlines()]
    assert len(lines) == 3


def test_no_input_at_all_is_quit_with_nothing_written(disputed, library_root, monkeypatch, capsys):
    path = lesson_file(library_root)
    before, records = path.read_text(), disputed[0].file.read_text()
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main.main(["disputes", "resolve"]) == 0
    assert "0 resolved, 0 skipped; stopped with 2 left open." in capsys.readouterr().out
    assert path.read_text() == before and disputed[0].file.read_text() == records


def test_a_question_gone_from_its_lesson_is_reported_and_skipped(disputed, library_root, capsys):
    path = lesson_file(library_root)
    path.write_text(path.read_text().replace("- id: balance-when", "- id: balance-point"))
    assert main.main(["disputes", "resolve", disputed[1].id, "--label", "correct"]) == 1
    out = flat(capsys.readouterr().out)
    assert f"{disputed[1].id}: the question demo/levers/balance/balance-when is no longer in its lesson" in out
    assert "balance-point" in path.read_text() and path.read_text().count("samples:") == 1
    assert main.main(["disputes"]) == 0
    assert "balance-when (no longer in the library)" in capsys.readouterr().out


def test_resolving_leaves_the_learners_profile_alone(disputed, isolated_home):
    profile_file = isolated_home / "profiles" / "ana.yaml"
    before = profile_file.read_bytes()
    resolve(disputed, [], Library(), ScriptedConsole(["correct", "correct"]))
    assert profile_file.read_bytes() == before


def test_an_answer_a_lesson_cannot_hold_is_refused(library_root, isolated_home):
    record = {"question": "demo/levers/torque/why-long", "answer": "less force\x1b[2J", "verdict": "partial"}
    path = disputes_path(isolated_home, "bo")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(record) + "\n")
    before = lesson_file(library_root).read_text()
    outcome = resolve(read_disputes([isolated_home]), [], Library(), ScriptedConsole(["correct"]))
    [problem] = outcome.problems
    assert "the answer cannot be a sample: " in problem and "control character" in problem
    assert lesson_file(library_root).read_text() == before


def test_a_damaged_disputes_file_is_read_as_far_as_it_goes(library_root, isolated_home, capsys):
    path = disputes_path(isolated_home, "cy")
    path.parent.mkdir(parents=True)
    odd = {"question": "demo/levers/torque/why-long", "answer": "less force", "met": "less-force", "evidence": [3]}
    lines = [json.dumps(odd), '{"question": "demo/lev', "[1, 2]", json.dumps({"resolves": ["x"]}), ""]
    path.write_text("\n".join(lines))
    assert main.main(["disputes"]) == 0
    out = capsys.readouterr().out
    assert "answer: less force" in out and "evidence: no statement of the answer matched the rubric" in out
    assert "1 open in" in out


def test_command_line_mistakes_are_one_line_errors(disputed, tmp_path, capsys):
    assert main.main(["disputes", "resolve", "--label", "correct"]) == 1
    assert "--label needs the ids" in capsys.readouterr().err
    assert main.main(["disputes", disputed[0].id]) == 1
    assert "go with `tutor disputes resolve`" in capsys.readouterr().err
    assert main.main(["disputes", "resolve", "--json"]) == 1
    assert main.main(["disputes", "resolve", "deadbeef", "--label", "correct"]) == 1
    assert "no dispute deadbeef" in capsys.readouterr().err
    assert main.main(["disputes", str(tmp_path)]) == 1
    assert "is not a tutor data folder" in capsys.readouterr().err


def test_data_folders_are_named_on_the_command_line(disputed, isolated_home, tmp_path, capsys):
    other = tmp_path / "other-learners"
    (other / "profiles").mkdir(parents=True)
    assert main.main(["disputes", str(other)]) == 0
    assert "No open disputes in" in capsys.readouterr().out
    assert main.main(["disputes", str(other), str(isolated_home), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["open"] == 2


def guide_block(kind, containing):
    text = (ROOT / "docs" / "authoring.md").read_text()
    blocks = re.findall(rf"^```{kind}\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)
    return next(block for block in blocks if containing in block)


def test_the_authoring_guide_shows_a_real_resolution(tmp_path, monkeypatch, isolated_home, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TUTOR_LESSONS", "lessons")
    new_course(Path("lessons"), "mycourse")
    course = Path("lessons/mycourse/course.yaml")
    course.write_text(course.read_text().replace("- first-lesson", "- intro"))
    lesson = Path("lessons/mycourse/intro.yaml")
    lesson.write_text(guide_block("yaml", "depends on orbit]"))
    before = lesson.read_text()
    session = guide_block("console", "/disagree")
    answer, objection = re.findall(r"^> (.*)$", session, re.MULTILINE)
    store = ProfileStore(isolated_home)
    profile = store.load_or_create("sam")
    with store.lock("sam"):
        run_session(ScriptedConsole([answer, objection]), OfflineTeacher(), Library(), store, profile, "mycourse/intro")

    monkeypatch.setattr(sys, "stdin", io.StringIO("correct\n"))
    assert main.main(["disputes", "resolve"]) == 0
    shown = guide_block("console", "$ tutor disputes resolve\n")
    tail = shown[shown.index("Label:") :].replace("700a01d7", read_disputes([isolated_home])[0].id)
    assert flat(tail) in flat(capsys.readouterr().out)
    diff = guide_block("diff", "label: correct")
    added = [line[1:] for line in diff.splitlines() if line.startswith("+")]
    assert inserted_lines(before, lesson.read_text()) == added
    lesson.write_text(lesson.read_text().replace("depends on orbit]", "depends on orbit, faces away]"))
    assert lint([lesson], roots=[Path("lessons")]) == []


# The text-level insertion on its own: every layout a lesson may use.

LESSON = """format: 1
id: levers
concepts:
  - id: torque
    questions:
      - id: why-long
        prompt: Why?
        reference_answer: Because.
{samples}
    title: Torque  # after the questions
"""


def add(samples, text='A "quoted" answer:\nsecond line # not a comment\u2028end', label="partial"):
    source = LESSON.format(samples=samples)
    return source, add_sample(source, "l.yaml", "torque", "why-long", text, label)


@pytest.mark.parametrize(
    "samples, expected",
    [
        (
            "        samples:\n          - text: old  # kept\n            label: correct",
            [
                '          - text: "A \\"quoted\\" answer:\\nsecond line # not a comment\\u2028end"',
                "            label: partial",
            ],
        ),
        (
            "        samples:\n        - {text: old, label: correct}",
            ['        - {text: "A \\"quoted\\" answer:\\nsecond line # not a comment\\u2028end", label: partial}'],
        ),
        (
            "        hints:\n            - a hint",
            [
                "        samples:",
                '            - text: "A \\"quoted\\" answer:\\nsecond line # not a comment\\u2028end"',
                "              label: partial",
            ],
        ),
        (
            "        samples:\n          - text: |\n              a block\n              answer\n\n"
            "            label: correct",
            [
                '          - text: "A \\"quoted\\" answer:\\nsecond line # not a comment\\u2028end"',
                "            label: partial",
            ],
        ),
    ],
    ids=["block-items", "flow-items-indentless", "no-samples-yet", "after-a-block-scalar"],
)
def test_the_sample_goes_after_the_last_one_indented_like_it(samples, expected):
    source, edit = add(samples)
    assert inserted_lines(source, edit.text) == expected
    question = parse_yaml(edit.text, "l.yaml").data["concepts"][0]["questions"][0]
    assert question["samples"][-1] == {
        "text": 'A "quoted" answer:\nsecond line # not a comment\u2028end',
        "label": "partial",
    }
    assert edit.text.splitlines()[edit.first_line - 1].lstrip().startswith(("- text:", "- {text:"))


def test_a_flow_list_gets_the_sample_as_its_last_entry():
    source, edit = add("        samples: [{text: old, label: correct}]  # one so far", text="new", label="incorrect")
    assert 'samples: [{text: old, label: correct}, {text: "new", label: incorrect}]  # one so far' in edit.text
    source, edit = add("        samples: []", text="new")
    assert 'samples: [{text: "new", label: partial}]' in edit.text


def test_line_endings_and_a_missing_last_line_break_are_kept():
    source = LESSON.format(samples="        samples:\n          - {text: old, label: correct}").replace("\n", "\r\n")
    edit = add_sample(source, "l.yaml", "torque", "why-long", "new", "correct")
    assert edit.text.count("\r\n") == source.count("\r\n") + 1 and "\n" not in edit.text.replace("\r\n", "")
    bare = "id: x\nconcepts:\n  - id: c\n    questions:\n      - id: q\n        samples:\n"
    bare += "          - {text: a, label: correct}"
    edit = add_sample(bare, "l.yaml", "c", "q", "b", "correct")
    assert edit.text == bare + '\n          - {text: "b", label: correct}'
