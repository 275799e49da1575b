"""Talking about a verdict: the confirming question when the evidence is weak
or mixed, how the learner's reply to it joins the answer, and what `/why`
shows. None of it states a missing idea: the learner sees ideas they stated,
in their own words, and questions that lead to the rest.
"""

import re

# A reply that only affirms what was asked about: "yes", "yep, that's what I meant".
AFFIRMATION = re.compile(
    r"^\s*(yes|yeah|yep|yup|right|correct|exactly|sure|i do|i did|that'?s (what i meant|right|it))\b[\s.!,]*"
    r"(that'?s what i meant|i meant that)?[\s.!]*$",
    re.IGNORECASE,
)


def needs_confirming(grade):
    return grade.confidence in ("weak", "mixed")


def confirming_question(question, grade):
    """(text, quote): a short question about the learner's own words, asked
    instead of a confident verdict; `quote` is the statement it is about
    (replaced by the reply when the evidence was mixed), or "" for weak evidence."""
    misconceptions = {m.id: m for m in question.misconceptions}
    ideas = {i.id: i for i in question.key_ideas}
    for evidence in grade.evidence:
        if evidence.kind == "misconception":
            remedy = misconceptions[evidence.id].remedy.strip()
            return (
                f"Much of your answer works, but one part worries me:\n\n> {evidence.quote}\n\n"
                f"{remedy}\n\nIs that what you meant? Say that part again, or put it right.",
                evidence.quote,
            )
        if evidence.kind == "reversed":
            probe = ideas[evidence.id].probe or "Which way round does it go, and why?"
            return (
                f"Much of your answer works, but this part reads the other way round to me:\n\n"
                f"> {evidence.quote}\n\n{probe}\n\nSay that part again, the way you mean it.",
                evidence.quote,
            )
    for evidence in grade.evidence:
        if evidence.kind == "false-claim":
            return (
                f"Much of your answer works, but I doubt this part:\n\n> {evidence.quote}\n\n"
                "Is that right? Say that part again, or put it right.",
                evidence.quote,
            )
    if grade.confidence == "mixed":
        # An idea stated one way in one place and reversed in another: ask about the reversal.
        for evidence in grade.evidence:
            if evidence.kind == "idea":
                probe = ideas[evidence.id].probe or "Which way round does it go, and why?"
                return f"Your answer seems to say it both ways. {probe}", ""
    met = [ideas[i] for i in grade.met]
    probe = next((idea.probe for idea in met if idea.probe), None)
    return (
        "I think I see what you mean, but most of your words are the question's own, and I'd rather not guess. "
        + (probe or "Can you say why, in a sentence of your own?"),
        "",
    )


def concern(question, grade):
    """The sentence that raised a misconception or a reversal, quoted, with the
    remedy or the idea's probe; "" when there is none."""
    remedies = {m.id: m.remedy.strip() for m in question.misconceptions}
    probes = {i.id: i.probe for i in question.key_ideas}
    for evidence in grade.evidence:
        if evidence.kind == "misconception":
            return f"this part raised a concern: “{evidence.quote}”. {remedies[evidence.id]}"
        if evidence.kind == "reversed" and probes.get(evidence.id):
            return f"this part reads the other way round: “{evidence.quote}”. {probes[evidence.id]}"
    return ""


def answer_after_confirming(answer, quote, reply):
    """The answer to grade once the learner replied to a confirming question.
    A bare "yes" keeps the answer as it was. With a quoted statement, the reply
    stands in for it; otherwise it adds to the answer."""
    if AFFIRMATION.match(reply):
        return answer
    if quote and quote in answer:
        return answer.replace(quote, reply, 1)
    return f"{answer}\n{reply}"


def why_text(question, grade, in_session=True):
    """`/why`: the ideas seen and the learner's words that showed them, how
    many are still missing (with a question that leads to one), and any
    misconception or reversal matched."""
    ideas = {i.id: i for i in question.key_ideas}
    misconceptions = {m.id: m for m in question.misconceptions}
    lines = [f"Verdict: **{grade.verdict}** (graded by the {grade.engine} engine; evidence {grade.confidence})."]
    if grade.met:
        lines.append("\nWhat I saw in your answer:")
        for idea_id in grade.met:
            quote = grade.quote("idea", idea_id)
            shown = f" — you wrote: “{quote}”" if quote else ""
            lines.append(f"- {ideas[idea_id].description}{shown}" if idea_id in ideas else f"- {idea_id}{shown}")
    else:
        lines.append("\nI found none of the key ideas in your answer.")
    for m_id in grade.misconceptions:
        quote = grade.quote("misconception", m_id)
        belief = misconceptions[m_id].description if m_id in misconceptions else m_id
        lines.append(f"\nThis raised a concern: “{quote}”\n- It reads as a known mix-up: {belief}")
    for idea_id in grade.reversed:
        lines.append(f"\nThis reads the other way round: “{grade.quote('reversed', idea_id)}”")
    if grade.missed:
        count = len(grade.missed)
        lines.append(f"\nStill missing: {count} idea{'s' if count > 1 else ''}.")
        probe = next((ideas[i].probe for i in grade.missed if i in ideas and ideas[i].probe), None)
        if probe and grade.verdict != "correct":
            lines.append(f"To find one: {probe}")
    if in_session:
        lines.append("\nIf you think I got this wrong, type `/disagree` (optionally with your reason).")
    return "\n".join(lines)
