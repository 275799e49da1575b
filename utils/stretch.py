"""When a strong answer earns a push further.

A first-try answer that meets every key idea, with strong evidence and no hint,
sometimes earns one of the concept's authored stretch questions: every time for
a learner who asked to be pushed, else every STRONG_ANSWERS_PER_STRETCH-th such
answer in a session. Each concept's stretch questions are asked at most once a
session. The learner may answer or pass; the answer is not graded (a stretch
question goes beyond the rubric), and the tutor shows how a strong answer goes.
"""

STRONG_ANSWERS_PER_STRETCH = 3


def is_strong(grade, attempts, hints_used):
    return grade.verdict == "correct" and grade.confidence == "strong" and attempts == 1 and hints_used == 0


def stretch_for(concept, asked, strong_answers, wants_push):
    """The stretch question to ask now, or None. `asked`: stretch ids asked this
    session; `strong_answers`: strong first-try answers this session, this one included."""
    if not wants_push and strong_answers % STRONG_ANSWERS_PER_STRETCH:
        return None
    return next((s for s in concept.stretch if f"{concept.id}/{s.id}" not in asked), None)
