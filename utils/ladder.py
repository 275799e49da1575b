"""The way out for a learner who is stuck on a question.

The ladder is bounded. "I don't know" climbs it one rung at a time: each
authored hint, gentlest first, then a smaller question for each key idea not
yet stated (the idea's probe), then a worked answer. Wrong answers take the
other side of it: a new picture each time while one is left (then only what
to think about), and a worked answer after WRONG_ANSWERS_BEFORE_WORKED of
them. The same explanation is never shown twice unless asked for (/more). After a worked answer the lesson
moves to the next question, and the question comes back in reviews.
"""

from dataclasses import dataclass

# Three different pictures have not landed: show how the answer goes.
WRONG_ANSWERS_BEFORE_WORKED = 3


@dataclass(frozen=True)
class Step:
    kind: str  # hint | smaller_question | worked
    text: str = ""
    number: int = 0  # the hint's number, from 1


def next_step(question, hints_used, smaller_asked, met=()):
    """The next rung after "I don't know": `hints_used` hints and `smaller_asked`
    smaller questions so far; ideas in `met` are already stated."""
    if hints_used < len(question.hints):
        return Step("hint", question.hints[hints_used], hints_used + 1)
    smaller = [idea.probe for idea in question.key_ideas if idea.probe and idea.id not in met]
    if smaller_asked < len(smaller):
        return Step("smaller_question", smaller[smaller_asked])
    return Step("worked")


def hint_text(question, index):
    """The hint at `index` (from 0), as shown: "Hint 2/3: …"."""
    return f"Hint {index + 1}/{len(question.hints)}: {question.hints[index]}"


def wrong_answers_exhausted(wrong_answers):
    return wrong_answers >= WRONG_ANSWERS_BEFORE_WORKED


def worked_answer(question):
    """The reference answer and the ideas it rests on, as Markdown."""
    ideas = "\n".join(f"- {idea.description}" for idea in question.key_ideas)
    text = "Here is one good answer:\n\n> " + " ".join(question.reference_answer.split())
    return text + (f"\n\nThe ideas it rests on:\n{ideas}" if ideas else "")
