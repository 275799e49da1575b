"""Reviews and exams: which questions, in which order, and the exam's report."""

from datetime import datetime, timezone

from pockettutor.utils.quiz import Item, Result, confusions, due_items, exam_items, exam_report

LEVERS = "demo/levers"


def test_exam_asks_the_weakest_concepts_first(demo_library):
    items = exam_items(demo_library, [LEVERS], {f"{LEVERS}/torque": 0.9, f"{LEVERS}/balance": 0.3}, 5)
    assert [i.concept for i in items] == ["balance", "torque"]  # one question each, weakest first
    assert exam_items(demo_library, [LEVERS], {}, 1) == [Item(LEVERS, "torque", "why-long")]  # ties: course order


def test_an_answer_that_states_another_concepts_idea_is_a_confusion(demo_library):
    wrong = Result(
        Item(LEVERS, "balance", "balance-when"), "incorrect", [], "Torque is force times distance, so less force."
    )
    assert confusions(demo_library, [wrong]) == [(f"{LEVERS}/balance", f"{LEVERS}/torque")]
    right = Result(Item(LEVERS, "torque", "why-long"), "correct", [], "Torque is force times distance, so less force.")
    assert confusions(demo_library, [right]) == []


def test_exam_report_scores_out_of_the_questions_set(demo_library):
    results = [
        Result(Item(LEVERS, "torque", "why-long"), "correct"),
        Result(
            Item(LEVERS, "balance", "balance-when"), "incorrect", [], "Torque is force times distance, so less force."
        ),
    ]
    report = exam_report(demo_library, results, 3)
    assert "**Score: 1/3**" in report and "stopped after 2 of 3" in report
    assert "- Balance (`demo/levers`)" in report and "Balance with Torque" in report
    assert "1. `tutor learn demo/levers`: Levers (Balance)" in report


def test_due_items_are_the_overdue_cards_of_known_lessons(demo_library, profile):
    now = datetime(2026, 11, 23, tzinfo=timezone.utc)
    profile.reviews = {
        f"{LEVERS}/torque/why-long": {"due": "2026-11-20T00:00:00+00:00"},
        f"{LEVERS}/balance/balance-when": {"due": "2026-12-20T00:00:00+00:00"},
        "gone/lesson/c/q": {"due": "2026-11-01T00:00:00+00:00"},
    }
    assert due_items(demo_library, profile, now) == [Item(LEVERS, "torque", "why-long")]


def test_a_misconception_marked_as_confusing_two_concepts_names_the_pair(tmp_path):
    import shutil

    from conftest import FIXTURES

    from pockettutor.utils.lessons import Library

    root = tmp_path / "lessons"
    shutil.copytree(FIXTURES, root)
    levers = root / "demo" / "levers.yaml"
    levers.write_text(
        levers.read_text().replace("- id: more-force\n", "- id: more-force\n            confused_with: balance\n")
    )
    library = Library(root)
    held = Result(Item(LEVERS, "torque", "why-long"), "incorrect", ["more-force"], "You need more force.")
    assert confusions(library, [held]) == [(f"{LEVERS}/torque", f"{LEVERS}/balance")]


def test_an_exam_covers_the_lessons_started_unless_asked_for_all(demo_library):
    from pockettutor.utils.quiz import exam_lessons

    assert exam_lessons(demo_library, "demo", {}) == []
    assert exam_lessons(demo_library, "demo", {LEVERS: object()}) == [LEVERS]
    assert exam_lessons(demo_library, "demo", {}, whole_course=True) == [LEVERS]


def test_the_exam_report_ends_with_each_question_answer_verdict_and_a_worked_answer(demo_library):
    results = [Result(Item(LEVERS, "torque", "why-long"), "partial", [], "less force")]
    report = exam_report(demo_library, results, 1)
    tail = report.split("**Question by question:**")[1]
    assert "Why does a longer lever" in tail and "Your answer (partly there): less force" in tail
    assert "A good answer: Torque is force times distance" in tail


def test_a_due_review_is_asked_as_the_concepts_question_reviewed_longest_ago():
    from datetime import datetime, timedelta, timezone

    from conftest import ROOT

    from pockettutor.utils.lessons import Library
    from pockettutor.utils.profiles import Profile
    from pockettutor.utils.reviews import schedule

    library = Library(ROOT / "lessons")
    now = datetime(2026, 12, 6, 12, tzinfo=timezone.utc)
    base = "lora/mechanics/parallel-path"
    profile = Profile(name="reviewer")
    known = schedule(None, "correct", 0, 1, now - timedelta(days=60))
    for days_ago in (55, 40, 10):  # well known: not due for months, last seen 10 days ago
        known = schedule(known, "correct", 0, 1, now - timedelta(days=days_ago))
    profile.reviews[f"{base}/count-the-savings"] = known
    profile.reviews[f"{base}/trace-the-input"] = schedule(None, "incorrect", 0, 1, now - timedelta(days=2))
    [item] = due_items(library, profile, now)
    # trace-the-input is due, but count-the-savings was seen longer ago: it stands in.
    assert (item.question, item.review_of) == ("count-the-savings", "trace-the-input")
    profile.reviews[f"{base}/count-the-savings"] = schedule(known, "correct", 0, 1, now - timedelta(hours=1))
    [item] = due_items(library, profile, now)
    assert (item.question, item.review_of) == ("trace-the-input", None)
