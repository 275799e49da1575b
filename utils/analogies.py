"""Choosing which analogy a learner sees next.

The learner's thinking style decides the order: analogies whose first style is
theirs come first, then any that list it, then the rest in authored order. An
analogy that failed this learner on this concept is never offered again.
"""


def ranked(concept, style):
    def rank(item):
        index, analogy = item
        if style and analogy.styles[0] == style:
            return (0, index)
        if style and style in analogy.styles:
            return (1, index)
        return (2, index)

    return [analogy for _, analogy in sorted(enumerate(concept.analogies), key=rank)]


def next_analogy(concept, style, failed, shown):
    """The best analogy not yet shown and never failed, or None when every
    authored analogy has been used."""
    for analogy in ranked(concept, style):
        if analogy.id not in failed and analogy.id not in shown:
            return analogy
    return None


def vocabulary_name(analogy, vocabulary):
    term = vocabulary.get(analogy.term) if analogy.term else None
    return term.name if term else None
