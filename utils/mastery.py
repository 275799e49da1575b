"""Per-concept mastery by Bayesian Knowledge Tracing (BKT).

BKT treats "knows the concept" as a hidden yes/no state and p as the chance it is yes.
Each graded answer is evidence: Bayes' rule, with the chances of a slip (knows it, still
wrong) and a guess (does not know it, still right), turns p into a posterior; then the
learner may learn from the practice itself, which moves p towards 1 by P_LEARN. Answers
are soft evidence: a credit in [0, 1] weighs the two outcomes, so helped answers count less.

Parameters (set by reasoning, not fitted to data):
- P_INIT = 0.2: prior that a learner already knows a concept the lesson is about to teach.
- P_LEARN = 0.2: chance of learning at each practice opportunity, whatever the answer.
- P_SLIP = 0.1: free-text answers are rarely wrong by accident once the idea is understood.
- P_GUESS = 0.1: a free-text answer that meets every key idea of a conceptual question is
  hard to produce by luck, unlike a multiple-choice pick; it also lets a learner who answers
  both questions of a concept right at the first try master it (0.2 -> 0.75 -> 0.97).
- MASTERED = 0.95: the conventional BKT threshold for calling a concept mastered.

What counts as evidence. A graded answer counts with its credit. "I don't know" counts
as an answer worth nothing, without the learning step: the learner said they do not know,
and nothing was practised. Hints, questions back and unclear lines are help: each costs a
later answer HINT_PENALTY of its credit, like a hint.
"""

P_INIT = 0.2
P_LEARN = 0.2
P_SLIP = 0.1
P_GUESS = 0.1
MASTERED = 0.95

# A hint gives part of the reasoning away; three hints bring a correct answer near a partial one.
HINT_PENALTY = 0.15
# An earlier attempt at the same question failed, which is direct evidence against knowing,
# so it costs more than a hint.
ATTEMPT_PENALTY = 0.2
# Floors: however helped, a correct answer keeps some weight (0.4, near an unhelped partial one),
# and a partial one stays above an incorrect one.
CORRECT_FLOOR = 0.4
PARTIAL_CREDIT = 0.5
PARTIAL_FLOOR = 0.2


def credit(verdict, hints_used=0, attempt=1):
    """How much a graded answer counts as evidence of knowing, in [0, 1].

    verdict is "correct", "partial" or "incorrect"; attempt counts from 1."""
    if hints_used < 0 or attempt < 1:
        raise ValueError(f"hints_used must be >= 0 and attempt >= 1, got {hints_used} and {attempt}")
    penalty = HINT_PENALTY * hints_used + ATTEMPT_PENALTY * (attempt - 1)
    if verdict == "correct":
        return max(CORRECT_FLOOR, 1.0 - penalty)
    if verdict == "partial":
        return max(PARTIAL_FLOOR, PARTIAL_CREDIT - penalty)
    if verdict == "incorrect":
        return 0.0
    raise ValueError(f"unknown verdict {verdict!r}")


def update(p, credit, practised=True):
    """The chance of knowing after one answer worth `credit`, starting from p.
    Without practice ("I don't know") there is no learning step."""
    known_if_correct = p * (1 - P_SLIP) / (p * (1 - P_SLIP) + (1 - p) * P_GUESS)
    known_if_incorrect = p * P_SLIP / (p * P_SLIP + (1 - p) * (1 - P_GUESS))
    posterior = credit * known_if_correct + (1 - credit) * known_if_incorrect
    learned = posterior + (1 - posterior) * P_LEARN if practised else posterior
    return min(1.0, max(0.0, learned))


def is_mastered(p):
    return p >= MASTERED
