"""`tutor report`: the figures instructors read, counted from sessions recorded
through the real graph and from hand-written transcripts; its four outputs;
--anonymous; bad input."""

import json
import re

import pytest
from conftest import FIXTURES, ScriptedConsole

from pockettutor import main
from pockettutor.main import run_session
from pockettutor.utils.profiles import Profile
from pockettutor.utils.report import build_report
from pockettutor.utils.report_render import markdown, page
from pockettutor.utils.teachers import OfflineTeacher
from pockettutor.utils.transcripts import disputes_path

RIGHT = "Torque is force times distance, so a longer lever needs less force for the same torque."
WRONG = "A long lever needs more force."
BALANCE = "A lever stops tipping when the torques on both sides are equal: force times distance matches on each side."


def record(store, library, name, replies):
    """A session of demo/levers through the whole graph, saved in the store's data folder."""
    profile = Profile(name=name, thinking_style="mechanical")
    return run_session(ScriptedConsole(replies), OfflineTeacher(), library, store, profile, "demo/levers")


@pytest.fixture
def class_of_three(store, demo_library):
    """ann right at once; bo wrong (a misconception), disputes it, then right, and a hint
    on the second question; cy skips the first question and quits at the second."""
    record(store, demo_library, "ann", [RIGHT, BALANCE])
    record(store, demo_library, "bo", [WRONG, "/disagree I meant the opposite", RIGHT, "/hint", BALANCE])
    record(store, demo_library, "cy", ["/skip", "/quit"])
    return store.home


def question(data, ref, concept, question_id):
    (course,) = [c for c in data["courses"] if ref.startswith(c["id"] + "/")]
    (lesson,) = [lesson for lesson in course["lessons"] if lesson["id"] == ref]
    (found,) = [c for c in lesson["concepts"] if c["id"] == concept]
    return next(q for q in found["questions"] if q["id"] == question_id)


def analogies(data, ref, concept):
    lesson = next(lesson for c in data["courses"] for lesson in c["lessons"] if lesson["id"] == ref)
    found = next(c for c in lesson["concepts"] if c["id"] == concept)
    return {a["id"]: (a["shown"], a["worked"], a["failed"]) for a in found["analogies"]}


def test_figures_of_sessions_recorded_through_the_graph(class_of_three, demo_library):
    data, notices = build_report([class_of_three], demo_library)
    assert notices == []
    assert data["learners"] == 3 and data["transcripts"] == 3 and data["sessions"] == 3
    why_long = question(data, "demo/levers", "torque", "why-long")
    # ann right at the first try; bo wrong first; cy skipped: all three had their first try.
    assert (why_long["learners"], why_long["tried"], why_long["first_try"]) == (3, 3, 1)
    assert why_long["first_try_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert why_long["attempts"] == 3 and why_long["verdicts"] == {"correct": 2, "partial": 0, "incorrect": 1}
    assert why_long["skips"] == 1 and why_long["hints"] == 0
    assert why_long["misconceptions"] == [
        {"id": "more-force", "description": "a longer lever needs more force", "count": 1}
    ]
    assert why_long["disputes"] == {
        "count": 1,
        "verdicts": {"correct": 0, "partial": 0, "incorrect": 1},
        "status": {"open": 1},
        "overturned": 0,
    }
    assert why_long["prompt"] == "Why does a longer lever make lifting easier?"
    balance = question(data, "demo/levers", "balance", "balance-when")
    # cy saw it and quit: a learner, but no try. A hint does not undo a first-try answer.
    assert (balance["learners"], balance["tried"], balance["first_try"], balance["hints"]) == (3, 2, 2, 1)
    # Right answers recorded within the same second as their question: timed, at zero.
    assert why_long["seconds_to_right"] == {"count": 2, "median": 0.0}
    # The picture shown last on a concept is judged by the next verdict on it.
    assert analogies(data, "demo/levers", "torque") == {"wrench": (3, 1, 1), "door": (1, 1, 0)}
    assert analogies(data, "demo/levers", "balance") == {"crane": (3, 2, 0)}
    lesson = data["courses"][0]["lessons"][0]
    assert (lesson["title"], lesson["known"], lesson["learners"], lesson["finished"]) == ("Levers", True, 3, 2)
    assert data["courses"][0]["title"] == "Demo course"
    bo = next(entry for entry in data["by_learner"] if entry["learner"] == "bo")
    assert (bo["questions"], bo["first_try"], bo["hints"], bo["disputes"]) == (2, 1, 1, 1)
    assert data["totals"]["first_try_rate"] == pytest.approx(3 / 5, abs=1e-4)
    assert data["hardest"][0]["question"] == "demo/levers/torque/why-long"


def test_reading_lines_by_their_opening_gives_the_report_that_parsing_every_line_whole_gives(
    class_of_three, demo_library, monkeypatch
):
    import pockettutor.utils.report as report

    shortcut, _ = build_report([class_of_three], demo_library)
    monkeypatch.setattr(report, "EVENT_PREFIX", "\x00")  # no line opens so: each is parsed whole
    assert build_report([class_of_three], demo_library)[0] == shortcut


def write_transcript(folder, ref, events):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (ref.replace("/", "__") + ".jsonl")
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return path


def session(at):
    return {"event": "session", "at": at, "engine": "offline"}


def shown(question_id, at=None):
    return {"event": "question", "question": question_id, **({"at": at} if at else {}), "text": "?"}


def graded(verdict, attempt=1, at=None, concept="torque", question_id="why-long", misconceptions=()):
    return {
        "event": "grade",
        "concept": concept,
        "question": question_id,
        **({"at": at} if at else {}),
        "attempt": attempt,
        "verdict": verdict,
        "misconceptions": list(misconceptions),
    }


def explained(analogy, concept="torque", kind="explain"):
    return {"event": kind, "concept": concept, "analogy": analogy, "title": "t", "text": "picture"}


def test_time_to_a_right_answer_runs_from_the_question_shown_to_the_right_grade_within_a_session(
    tmp_path, demo_library
):
    day = "2026-12-01T10:"
    write_transcript(
        tmp_path / "ann",
        "demo/levers",
        [
            session(day + "00:00+00:00"),
            explained("wrench"),
            shown("why-long", day + "00:10+00:00"),
            graded("incorrect", 1, day + "01:10+00:00"),
            explained("door", kind="reexplain"),
            shown("why-long", day + "01:15+00:00"),  # shown again: the clock still runs from the first
            graded("correct", 2, day + "02:40+00:00"),
        ],
    )
    write_transcript(
        tmp_path / "bo",
        "demo/levers",
        [
            session(day + "00:00+00:00"),
            explained("wrench"),
            shown("why-long", day + "00:05+00:00"),
            {"event": "end", "outcome": "quit"},
            # The next day: time away between sessions is not counted.
            session("2026-12-02T09:00:00+00:00"),
            {"event": "resume", "concept": "torque"},
            shown("why-long", "2026-12-02T09:00:02+00:00"),
            graded("correct", 1, "2026-12-02T09:00:32+00:00"),
        ],
    )
    # A transcript from before questions were timed: counted, but not timed.
    write_transcript(
        tmp_path / "cy",
        "demo/levers",
        [session(day + "00:00+00:00"), explained("wrench"), shown("why-long"), graded("correct")],
    )
    data, _ = build_report([tmp_path / "ann", tmp_path / "bo", tmp_path / "cy"], demo_library)
    why_long = question(data, "demo/levers", "torque", "why-long")
    assert why_long["seconds_to_right"] == {"count": 2, "median": (150 + 30) / 2}
    assert (why_long["tried"], why_long["first_try"]) == (3, 2)
    assert data["totals"]["seconds_to_right"]["median"] == 90.0
    assert data["sessions"] == 4


def test_a_partial_answer_leaves_the_picture_open_for_the_next_verdict(tmp_path, demo_library):
    write_transcript(
        tmp_path / "ann",
        "demo/levers",
        [
            session("2026-12-01T10:00:00+00:00"),
            explained("wrench"),
            graded("partial", 1),
            graded("correct", 2),
            explained("door", kind="analogy"),  # asked for another picture, never answered after it
            {"event": "advance", "from": "torque/why-long", "to": "next_concept", "skipped": False, "worked": False},
            explained("crane", concept="balance"),
            graded("incorrect", 1, concept="balance", question_id="balance-when", misconceptions=["a", "a2"]),
            graded("incorrect", 2, concept="balance", question_id="balance-when", misconceptions=["a"]),
        ],
    )
    data, _ = build_report([tmp_path / "ann"], demo_library)
    assert analogies(data, "demo/levers", "torque") == {"wrench": (1, 1, 0), "door": (1, 0, 0)}
    # Judged once: the second wrong answer finds no picture waiting.
    assert analogies(data, "demo/levers", "balance") == {"crane": (1, 0, 1)}
    torque = next(a for a in data["courses"][0]["lessons"][0]["concepts"][0]["analogies"] if a["id"] == "wrench")
    assert torque["success_rate"] == 1.0 and torque["styles"] == ["mechanical"]
    balance = question(data, "demo/levers", "balance", "balance-when")
    assert [(m["id"], m["count"]) for m in balance["misconceptions"]] == [("a", 2), ("a2", 1)]
    assert balance["misconceptions"][0]["description"] is None  # not one the lesson defines


def test_events_not_as_the_tutor_writes_them_are_skipped_and_counted(tmp_path, demo_library):
    write_transcript(
        tmp_path / "ann",
        "demo/levers",
        [
            session("2026-12-01T10:00:00+00:00"),
            shown("why-long", "2026-12-01T10:00:00+00:00"),  # before any concept: not placed
            explained(7),
            graded("incorrect", misconceptions=[["nested"]]),
            {**graded("incorrect"), "misconceptions": "more-force"},
            {"event": "grade", "concept": "torque", "question": 3, "verdict": "correct"},
            explained("wrench"),
            shown("why-long", "2026-12-01T10:00:00"),  # no time zone: cannot be set against the grade's
            graded("correct", 1, "2026-12-01T10:01:00+00:00"),
        ],
    )
    data, notices = build_report([tmp_path / "ann"], demo_library)
    assert notices == [f"{tmp_path / 'ann' / 'demo__levers.jsonl'}: 4 unreadable line(s) skipped"]
    assert data["unreadable_lines"] == 4
    why_long = question(data, "demo/levers", "torque", "why-long")
    assert (why_long["attempts"], why_long["first_try"], why_long["learners"]) == (1, 1, 1)
    assert why_long["seconds_to_right"] == {"count": 0, "median": None}


def test_a_lesson_gone_from_the_library_is_reported_by_its_ids(tmp_path, demo_library):
    write_transcript(
        tmp_path / "ann",
        "old-course/gone",
        [
            session("2026-12-01T10:00:00+00:00"),
            explained("pic", concept="c1"),
            graded("correct", concept="c1", question_id="q1"),
        ],
    )
    data, notices = build_report([tmp_path / "ann"], demo_library)
    (course,) = data["courses"]
    assert (course["id"], course["title"]) == ("old-course", None)
    (lesson,) = course["lessons"]
    assert (lesson["id"], lesson["title"], lesson["known"]) == ("old-course/gone", None, False)
    assert lesson["concepts"][0]["questions"][0]["prompt"] is None
    assert lesson["concepts"][0]["questions"][0]["first_try"] == 1


def test_a_resolved_dispute_counts_as_resolved_and_overturned_when_its_label_differs(class_of_three, demo_library):
    from pockettutor.utils.disputes import dispute_id

    path = disputes_path(class_of_three, "bo")
    (line,) = path.read_bytes().splitlines()
    resolution = {"resolves": dispute_id(line), "status": "resolved", "label": "correct", "at": "2026-12-08T00:00:00"}
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(resolution) + "\n")
    data, notices = build_report([class_of_three], demo_library)
    assert notices == []
    why_long = question(data, "demo/levers", "torque", "why-long")
    disputes = why_long["disputes"]
    assert disputes["status"] == {"resolved": 1} and disputes["overturned"] == 1 and disputes["count"] == 1
    assert "| 1 (incorrect ×1, 0 open, 1 overturned) |" in markdown(data)


def test_a_course_nobody_took_is_nothing_to_report(class_of_three, capsys):
    status, out, err = run_report(capsys, class_of_three, "--course", "other")
    assert (
        status == 1
        and err == f"tutor: error: nothing to report: no learner's transcripts of course 'other' in {class_of_three}\n"
    )


def test_course_restricts_the_report(class_of_three, tmp_path, demo_library):
    write_transcript(
        class_of_three / "transcripts" / "dee",
        "other/lesson",
        [session("2026-12-01T10:00:00+00:00"), graded("correct")],
    )
    data, _ = build_report([class_of_three], demo_library, course="demo")
    assert [c["id"] for c in data["courses"]] == ["demo"] and data["learners"] == 3
    data, _ = build_report([class_of_three], demo_library)
    assert [c["id"] for c in data["courses"]] == ["demo", "other"] and data["learners"] == 4


@pytest.fixture(autouse=True)
def fixture_library(monkeypatch):
    """`tutor report` reads titles from the test library alone."""
    monkeypatch.setenv("TUTOR_LESSONS", str(FIXTURES))
    monkeypatch.setenv("TUTOR_SHIPPED_LESSONS", "0")


def run_report(capsys, *args):
    status = main.main(["report", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


def test_json_output_for_scripts(class_of_three, capsys):
    status, out, err = run_report(capsys, class_of_three, "--json")
    assert status == 0 and err == ""
    data = json.loads(out)
    assert data["learners"] == 3
    assert {
        "learners",
        "transcripts",
        "sessions",
        "totals",
        "hardest",
        "misconceptions",
        "courses",
        "by_learner",
    } <= set(data)
    figures = data["courses"][0]["lessons"][0]["concepts"][0]["questions"][0]
    for key in ("learners", "tried", "first_try_rate", "attempts", "hints", "skips", "seconds_to_right", "disputes"):
        assert key in figures


def test_the_terminal_table_names_lessons_and_questions(class_of_three, capsys):
    status, out, err = run_report(capsys, class_of_three)
    assert status == 0
    assert "3 learners" in out and "Levers (demo/levers)" in out and "why-long" in out
    assert "more-force" in out or "a longer lever needs more force" in out


def test_the_page_is_self_contained_escaped_and_draws_its_charts(class_of_three, tmp_path, capsys, demo_library):
    (class_of_three / "transcripts" / "cy").rename(class_of_three / "transcripts" / "<img src=x onerror=alert(1)>")
    write_transcript(
        tmp_path / "eve",
        "demo/levers",
        [
            session("2026-12-01T10:00:00+00:00"),
            graded("incorrect", concept="<script>alert(1)</script>", question_id="q"),
        ],
    )
    output = tmp_path / "report.html"
    status, out, err = run_report(capsys, class_of_three, tmp_path / "eve", "-o", output)
    assert status == 0 and out == ""
    text = output.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text and "<rect" in text
    assert "<script" not in text and "<img" not in text and "&lt;script&gt;" in text
    # Nothing is fetched: no tag links or sources anything, the style imports nothing, no address anywhere.
    assert not re.search(r"<[^>]*\b(src|href|srcset|xlink:href)\s*=", text, re.IGNORECASE)
    assert not re.search(r"url\(|@import|https?://", text, re.IGNORECASE)


def test_markdown_tables(class_of_three, tmp_path, capsys):
    output = tmp_path / "report.md"
    status, _, _ = run_report(capsys, class_of_three, "-o", output)
    text = output.read_text(encoding="utf-8")
    assert status == 0 and text.startswith("# What learners struggle with")
    assert "| question | learners | first try |" in text
    assert "| Torque / why-long | 3 | 1/3 (33%) | 3 | 0 | 1 |" in text


@pytest.mark.parametrize("name", ["zanzibar", "Quillon_Marsh"])
def test_anonymous_leaves_every_name_out(store, demo_library, tmp_path, capsys, name):
    record(store, demo_library, name, [WRONG, "/disagree no", RIGHT])
    record(store, demo_library, "other-learner", [RIGHT])
    # A torn line names its file in a notice: anonymous, not by the learner's folder.
    with open(store.home / "transcripts" / name / "demo__levers.jsonl", "a", encoding="utf-8") as handle:
        handle.write('{"event": "grade", "conc')
    outputs = []
    status, out, err = run_report(capsys, store.home, "--anonymous", "--json")
    assert status == 0
    outputs += [out, err]
    for suffix in ("html", "md"):
        status, out, err = run_report(capsys, store.home, "--anonymous", "-o", tmp_path / f"r.{suffix}")
        outputs += [out, err, (tmp_path / f"r.{suffix}").read_text(encoding="utf-8")]
    status, out, err = run_report(capsys, store.home, "--anonymous")
    outputs += [out, err]
    for text in outputs:
        assert name not in text and "other-learner" not in text
    data = json.loads(outputs[0])
    assert sorted(entry["learner"] for entry in data["by_learner"]) == ["learner 1", "learner 2"]
    assert "1 unreadable line(s) skipped" in outputs[1] and "learner " in outputs[1]


def test_a_missing_folder_is_named_and_nothing_to_report_exits_1(tmp_path, capsys):
    status, out, err = run_report(capsys, tmp_path / "nowhere")
    assert status == 1 and out == ""
    assert err == f"tutor: error: nothing to report: {tmp_path / 'nowhere'}: no such file or folder\n"


def test_a_folder_with_no_learners_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    status, out, err = run_report(capsys, tmp_path / "empty")
    assert status == 1 and out == ""
    assert err.startswith(f"tutor: error: nothing to report: {tmp_path / 'empty'}: no learners here (")
    assert err.count("\n") == 1


def test_bad_files_are_named_and_the_rest_is_reported(class_of_three, tmp_path, capsys):
    garbage = write_transcript(tmp_path / "zed", "demo/levers", [])
    garbage.write_bytes(b"\x00\xffnot json at all\n<html>\n")
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    torn = class_of_three / "transcripts" / "ann" / "demo__levers.jsonl"
    with open(torn, "a", encoding="utf-8") as handle:
        handle.write("{garbage}\n" + '{"event": "grade", "concept": "torque", "ques')
    status, out, err = run_report(capsys, class_of_three, garbage, other, "--json")
    assert status == 0
    assert json.loads(out)["learners"] == 3  # ann's other lines still count
    assert f"{garbage}: not a transcript (no line is an event)" in err
    assert f"{other}: not a transcript (they are named COURSE__LESSON.jsonl)" in err
    assert f"{torn}: 2 unreadable line(s) skipped" in err
    assert "Traceback" not in err


def test_a_file_that_cannot_be_read_is_named(class_of_three, capsys, monkeypatch):
    import builtins

    path = class_of_three / "transcripts" / "bo" / "demo__levers.jsonl"
    real_open = builtins.open

    def refusing(file, *args, **kwargs):
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing)
    status, out, err = run_report(capsys, class_of_three, "--json")
    assert status == 0 and json.loads(out)["learners"] == 3  # bo still has their disputes
    assert f"{path}: cannot read (Permission denied)" in err


def test_an_output_of_another_kind_is_refused(class_of_three, tmp_path, capsys):
    status, _, err = run_report(capsys, class_of_three, "-o", tmp_path / "report.pdf")
    assert status == 1 and "name a .html, .md or .json file" in err


def test_the_renderers_escape_what_the_transcripts_hold(tmp_path, demo_library):
    write_transcript(
        tmp_path / "ann",
        "demo/levers",
        [
            session("2026-12-01T10:00:00+00:00"),
            graded("incorrect", concept="x|y*z", question_id="q", misconceptions=["<b>"]),
        ],
    )
    data, _ = build_report([tmp_path / "ann"], demo_library)
    assert "x\\|y\\*z" in markdown(data) and "<b>" not in markdown(data)
    assert "&lt;b&gt;" in page(data) and "<b>" not in page(data)
