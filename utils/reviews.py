"""Spaced review of questions with FSRS (the `fsrs` library).

Each question the learner has answered has a card state: the plain dict `Card.to_dict()`
gives (ints, floats, ISO 8601 strings, None), so it goes into the YAML profile as it is.
A graded answer becomes an FSRS rating, the scheduler moves the card's due date, and the
questions whose date has passed are the ones to review. fsrs is imported only inside the
functions that review cards: start-up time matters, and reading due dates does not need it.
"""

from datetime import datetime, timezone


def rating_for(verdict, hints_used=0, attempt=1):
    """The fsrs Rating for a graded answer; verdict is "correct", "partial", "incorrect" or "skipped"."""
    from fsrs import Rating

    # Easy is never given: one answer is not enough to call a concept easy, and Easy
    # stretches the next interval far beyond Good's.
    if verdict == "correct":
        return Rating.Good if hints_used == 0 and attempt == 1 else Rating.Hard
    if verdict == "partial":
        return Rating.Hard if hints_used == 0 else Rating.Again
    if verdict in ("incorrect", "skipped"):
        return Rating.Again
    raise ValueError(f"unknown verdict {verdict!r}")


def schedule(card_state, verdict, hints_used, attempt, now):
    """The card state after this answer; card_state is None for a question never reviewed.

    now must be timezone-aware; it is the review time and, for a new card, its creation time."""
    from fsrs import Card, Scheduler

    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    # fsrs accepts only datetime.timezone.utc itself, not another UTC tzinfo.
    now = now.astimezone(timezone.utc)
    if card_state is None:
        # The id comes from `now`, not the wall clock, so a schedule depends only on its inputs.
        card = Card(card_id=int(now.timestamp() * 1000), due=now)
    else:
        card = Card.from_dict(card_state)
    # No fuzzing: the same answers at the same times always give the same due dates. No
    # learning steps: fsrs's default brings a missed card back after 1 and 10 minutes, which
    # for a conceptual question tests memory of its wording, not understanding; without them
    # every interval is whole days, so a question comes back the next day at the soonest.
    scheduler = Scheduler(enable_fuzzing=False, learning_steps=(), relearning_steps=())
    card, _ = scheduler.review_card(card, rating_for(verdict, hints_used, attempt), review_datetime=now)
    return card.to_dict()


def due_at(card_state):
    return datetime.fromisoformat(card_state["due"])


def due(cards, now):
    """The keys of the cards due at `now`, most overdue first; cards maps key -> card state."""
    overdue = [key for key, card_state in cards.items() if due_at(card_state) <= now]
    return sorted(overdue, key=lambda key: due_at(cards[key]))


def next_due(cards):
    """When the next card falls due, or None when there are no cards."""
    return min((due_at(card_state) for card_state in cards.values()), default=None)
