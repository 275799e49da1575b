"""Choosing which analogy a learner sees next, and noticing which style of
analogy works for them.

The learner's thinking style decides the order: analogies whose first style is
theirs come first, then any that list it, then the rest in authored order. An
analogy that failed this learner on this concept is never offered again. A
shared-vocabulary picture that already worked for the learner is brought back
first ("Remember the Sculpture?").

The style follows the evidence: once analogies of another style have led to a
right answer at least STYLE_MIN_WORKED times, and their success rate beats the
current style's by STYLE_MARGIN (or the current style has no record yet), the
tutor switches to it and says so.
"""

STYLE_MIN_WORKED = 3
STYLE_MARGIN = 0.3


def ranked(concept, style):
    def rank(item):
        index, analogy = item
        if style and analogy.styles[0] == style:
            return (0, index)
        if style and style in analogy.styles:
            return (1, index)
        return (2, index)

    return [analogy for _, analogy in sorted(enumerate(concept.analogies), key=rank)]


def next_analogy(concept, style, failed, shown, familiar_terms=()):
    """The best analogy not yet shown and never failed, or None when every
    authored analogy has been used. One built on a vocabulary term in
    `familiar_terms` (a picture that worked for this learner before) goes first."""
    candidates = [a for a in ranked(concept, style) if a.id not in failed and a.id not in shown]
    familiar = [a for a in candidates if a.term and a.term in familiar_terms]
    return (familiar or candidates or [None])[0]


def remembered_title(name):
    """ "Remember the Sculpture?" for a vocabulary picture seen before."""
    return f"Remember {'the ' + name[4:] if name.startswith('The ') else name}?"


def style_shift(counts, current):
    """The style the evidence says to switch to, with the reason, or None.
    `counts`: style -> (worked, failed), as Profile.style_counts gives them."""

    def rate(style):
        worked, failed = counts.get(style, (0, 0))
        return worked / (worked + failed) if worked + failed else None

    best = None
    # In name order, so a tie goes the same way however the counts were gathered.
    for style, (worked, _) in sorted(counts.items()):
        if style == current or worked < STYLE_MIN_WORKED:
            continue
        if rate(current) is not None and rate(style) - rate(current) < STYLE_MARGIN:
            continue
        if best is None or rate(style) > rate(best):
            best = style
    if best is None:
        return None
    worked, failed = counts[best]
    return best, f"{worked} of {worked + failed} {best} analogies led to a right answer"


def vocabulary_name(analogy, vocabulary):
    term = vocabulary.get(analogy.term) if analogy.term else None
    return term.name if term else None
