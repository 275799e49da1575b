from datetime import datetime, timedelta, timezone

import pytest
import yaml
from fsrs import Rating

from pockettutor.utils.reviews import due, due_at, next_due, rating_for, schedule

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("verdict", "hints_used", "attempt", "rating"),
    [
        ("correct", 0, 1, Rating.Good),
        ("correct", 1, 1, Rating.Hard),
        ("correct", 0, 2, Rating.Hard),
        ("correct", 2, 3, Rating.Hard),
        ("partial", 0, 1, Rating.Hard),
        ("partial", 0, 2, Rating.Hard),
        ("partial", 1, 1, Rating.Again),
        ("incorrect", 0, 1, Rating.Again),
        ("incorrect", 2, 3, Rating.Again),
        ("skipped", 0, 1, Rating.Again),
    ],
)
def test_rating_for(verdict, hints_used, attempt, rating):
    assert rating_for(verdict, hints_used, attempt) == rating


def test_rating_for_rejects_an_unknown_verdict():
    with pytest.raises(ValueError):
        rating_for("maybe")


def test_a_correct_answer_comes_back_later_than_an_incorrect_one():
    right = schedule(None, "correct", 0, 1, T0)
    wrong = schedule(None, "incorrect", 0, 1, T0)
    assert T0 < due_at(wrong) < due_at(right)


def test_the_schedule_depends_only_on_its_inputs():
    assert schedule(None, "correct", 0, 1, T0) == schedule(None, "correct", 0, 1, T0)


def test_intervals_grow_when_answered_correctly_on_schedule():
    card, now, intervals = None, T0, []
    for _ in range(6):
        card = schedule(card, "correct", 0, 1, now)
        intervals.append(due_at(card) - now)
        now = due_at(card)
    assert intervals == sorted(intervals)
    assert len(set(intervals)) == len(intervals)
    assert intervals[-1] > timedelta(days=30)


def test_a_wrong_answer_shortens_the_next_interval():
    card = schedule(None, "correct", 0, 1, T0)
    card = schedule(card, "correct", 0, 1, due_at(card))
    review = due_at(card)
    assert due_at(schedule(card, "incorrect", 0, 1, review)) < due_at(schedule(card, "correct", 0, 1, review))


def test_now_may_use_any_utc_tzinfo_but_must_be_aware():
    other_utc = T0.astimezone(timezone(timedelta(0), "UTC"))
    assert schedule(None, "correct", 0, 1, other_utc) == schedule(None, "correct", 0, 1, T0)
    with pytest.raises(ValueError):
        schedule(None, "correct", 0, 1, T0.replace(tzinfo=None))


@pytest.fixture
def cards():
    return {
        "late": schedule(None, "incorrect", 0, 1, T0 - timedelta(days=2)),  # due T0 - 1 day
        "soon": schedule(None, "incorrect", 0, 1, T0),  # due T0 + 1 day
        "later": schedule(None, "correct", 0, 1, T0),  # due T0 + 2 days
    }


def test_due_dates_of_the_fixture(cards):
    assert due_at(cards["late"]) == T0 - timedelta(days=1)
    assert due_at(cards["soon"]) == T0 + timedelta(days=1)
    assert due_at(cards["later"]) == T0 + timedelta(days=2)


def test_a_question_comes_back_the_next_day_at_the_soonest():
    for verdict in ("correct", "partial", "incorrect", "skipped"):
        card = schedule(None, verdict, 0, 1, T0)
        assert due_at(card) >= T0 + timedelta(days=1), verdict
        again = schedule(card, "incorrect", 0, 1, due_at(card))
        assert due_at(again) >= due_at(card) + timedelta(days=1), verdict


def test_due_lists_the_overdue_keys_most_overdue_first(cards):
    assert due(cards, T0 - timedelta(days=2)) == []
    assert due(cards, T0) == ["late"]
    assert due(cards, T0 + timedelta(days=1)) == ["late", "soon"]
    assert due(cards, T0 + timedelta(days=3)) == ["late", "soon", "later"]
    assert due({}, T0) == []


def test_next_due(cards):
    assert next_due(cards) == T0 - timedelta(days=1)
    assert next_due({}) is None


def test_card_states_survive_yaml(cards):
    card = schedule(cards["later"], "partial", 1, 2, T0 + timedelta(minutes=10))
    assert all(isinstance(value, (int, float, str, type(None))) for value in card.values())
    loaded = yaml.safe_load(yaml.safe_dump({"reviews": cards | {"reviewed": card}}))["reviews"]
    assert loaded == cards | {"reviewed": card}
    assert schedule(loaded["reviewed"], "correct", 0, 1, T0 + timedelta(days=1)) == schedule(
        card, "correct", 0, 1, T0 + timedelta(days=1)
    )
