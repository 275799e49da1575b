import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pockettutor.utils.mastery import MASTERED, P_INIT, credit, is_mastered, update

# database=None: no .hypothesis/ in the repo.
examples = settings(max_examples=300, deadline=None, database=None)


def steps_to_mastery(answer_credit, limit=100):
    """How many answers worth answer_credit take a new concept to MASTERED, or None."""
    p = P_INIT
    for step in range(1, limit + 1):
        p = update(p, answer_credit)
        if is_mastered(p):
            return step
    return None


def test_credit_table():
    assert credit("correct") == 1.0
    assert credit("correct", hints_used=1) == pytest.approx(1 - 0.15)
    assert credit("correct", attempt=2) == pytest.approx(1 - 0.2)
    assert credit("correct", hints_used=1, attempt=2) == pytest.approx(1 - 0.15 - 0.2)
    assert credit("correct", hints_used=10, attempt=10) == 0.4
    assert credit("partial") == 0.5
    assert credit("partial", hints_used=1) == pytest.approx(0.5 - 0.15)
    assert credit("partial", hints_used=5) == 0.2
    assert credit("incorrect") == 0.0
    assert credit("incorrect", hints_used=3, attempt=4) == 0.0


def test_credit_rejects_what_it_cannot_grade():
    with pytest.raises(ValueError):
        credit("skipped")
    with pytest.raises(ValueError):
        credit("correct", attempt=0)
    with pytest.raises(ValueError):
        credit("correct", hints_used=-1)


def test_update_after_a_correct_answer():
    # P(L | correct) = 0.2 * 0.9 / (0.2 * 0.9 + 0.8 * 0.1) = 0.18 / 0.26
    posterior = 0.18 / 0.26
    assert update(0.2, 1.0) == pytest.approx(posterior + (1 - posterior) * 0.2)  # 0.753846...


def test_update_after_an_incorrect_answer():
    # P(L | incorrect) = 0.2 * 0.1 / (0.2 * 0.1 + 0.8 * 0.9) = 0.02 / 0.74
    posterior = 0.02 / 0.74
    assert update(0.2, 0.0) == pytest.approx(posterior + (1 - posterior) * 0.2)  # 0.221622...


def test_update_weighs_soft_evidence():
    # credit 0.5 from p = 0.9:
    # P(L | correct) = 0.81 / (0.81 + 0.1 * 0.1) = 0.81 / 0.82
    # P(L | incorrect) = 0.09 / (0.09 + 0.1 * 0.9) = 0.09 / 0.18
    posterior = 0.5 * 0.81 / 0.82 + 0.5 * 0.09 / 0.18
    assert update(0.9, 0.5) == pytest.approx(posterior + (1 - posterior) * 0.2)  # 0.795122...


def test_first_try_answers_reach_mastery_in_two_steps():
    # 0.2 -> 0.753846 -> 0.971991: both questions of a concept right at the first try master it.
    assert steps_to_mastery(credit("correct")) == 2


def test_hints_slow_mastery_down():
    assert steps_to_mastery(credit("correct", hints_used=1)) == 5
    # Credit 0.7 settles near 0.83: a learner who always needs two hints is never called mastered.
    assert steps_to_mastery(credit("correct", hints_used=2)) is None


@pytest.mark.parametrize("p", [0.05, P_INIT, 0.5, 0.9])
def test_partial_answers_move_p_between_incorrect_and_correct(p):
    assert update(p, credit("incorrect")) < update(p, credit("partial")) < update(p, credit("correct"))


@pytest.mark.parametrize("p", [0.6, 0.9, 0.99])
def test_an_incorrect_answer_lowers_a_high_estimate(p):
    assert update(p, credit("incorrect")) < p


def test_incorrect_answers_settle_above_the_prior():
    # The learning transition runs after every answer, so wrong answers alone settle at the fixed
    # point p = 9/40: P(L | incorrect) = (0.9/40) / (0.9/40 + 31/40 * 0.9) = 1/32, 1/32 + 31/32 * 0.2 = 9/40.
    p = 0.99
    for _ in range(100):
        p = update(p, 0.0)
    assert p == pytest.approx(9 / 40)


def test_mastery_threshold():
    assert is_mastered(MASTERED)
    assert not is_mastered(MASTERED - 1e-9)


verdicts = st.sampled_from(["correct", "partial", "incorrect"])
hints = st.integers(min_value=0, max_value=20)
attempts = st.integers(min_value=1, max_value=20)


@examples
@given(verdicts, hints, attempts)
def test_credit_never_rises_with_hints_or_attempts(verdict, hints_used, attempt):
    given_credit = credit(verdict, hints_used, attempt)
    assert credit(verdict, hints_used + 1, attempt) <= given_credit
    assert credit(verdict, hints_used, attempt + 1) <= given_credit


@examples
@given(verdicts, hints, attempts)
def test_credit_stays_in_range(verdict, hints_used, attempt):
    assert 0.0 <= credit(verdict, hints_used, attempt) <= 1.0


@examples
@given(st.floats(min_value=0.0, max_value=1.0), st.floats(min_value=0.0, max_value=1.0))
def test_update_stays_in_range(p, answer_credit):
    assert 0.0 <= update(p, answer_credit) <= 1.0
