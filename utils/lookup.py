"""Answering a learner's question back from the lesson itself.

Offline there is no model to write an answer, so the tutor points at what the
lesson already says: its glossary, the shared vocabulary's meanings, and the
sentences of the lesson's explanations that share the most words with the
question, the current concept first. A sentence that would state the pending question's
answer (the leak guard, grading.reveals) is never quoted.
"""

import re
from dataclasses import dataclass

from pockettutor.utils.grading import Normaliser, reveals
from pockettutor.utils.words import STOPWORDS

# What the learner asks about, when they name it: "what do you mean by X", "what is X".
SUBJECT = re.compile(
    r"^(?:wait[, ]+)?(?:what\s+(?:do\s+you\s+mean\s+by|does|is\s+meant\s+by|is|are|s)|what's|whats|"
    r"(?:can\s+you\s+)?(?:explain|define)|meaning\s+of|how\s+(?:does|do|is|are))\s+(?P<subject>.+?)"
    r"(?:\s+mean)?\s*\??$",
    re.IGNORECASE,
)
SENTENCE = re.compile(r"(?<=[.!?])\s+|\n\s*\n")
# Quoted sentences: enough to answer, short enough to keep the question in view.
MAX_SENTENCES = 2
# Words of a question that say nothing about its subject.
ASKING_WORDS = {"mean", "meant", "meaning", "explain", "define", "exactly", "again", "term", "word", "wait"}


@dataclass(frozen=True)
class Lookup:
    found: bool
    text: str  # what the lesson says, Markdown
    source: str  # where it comes from: a concept title or "the shared vocabulary"
    withheld: bool = False  # the lesson answers it, but only by giving the pending question away


def _content(normaliser, text):
    return {w for s in normaliser.sentences(text) for w, _ in s if w not in STOPWORDS and w not in ASKING_WORDS}


def _sentences(text):
    # Code blocks and diagrams do not quote well.
    prose = re.sub(r"```.*?```", " ", text, flags=re.DOTALL)
    return [" ".join(s.split()) for s in SENTENCE.split(prose) if len(s.split()) >= 4]


def _glossary_entry(normaliser, wanted, glossary):
    """The entry the learner asks about: one whose name (or alias) is exactly
    the asked words, else the longest named inside the question, else one that
    contains all the asked words."""
    ranked = []
    for entry in glossary:
        for name in [entry.term, *entry.aliases]:
            named = _content(normaliser, name)
            if not named:
                continue
            if named == wanted:
                ranked.append((0, 0, entry))
            elif named < wanted:
                ranked.append((1, -len(named), entry))
            elif wanted < named:
                ranked.append((2, len(named), entry))
    return min(ranked, key=lambda item: item[:2])[2] if ranked else None


def subject_of(question_text):
    match = SUBJECT.match(question_text.strip())
    return match.group("subject") if match else question_text


def look_up(asked, lesson, concept, question, vocabulary):
    """What the lesson says about `asked`, never stating `question`'s answer."""
    normaliser = Normaliser()
    wanted = _content(normaliser, subject_of(asked))
    if not wanted:
        return Lookup(False, "", "")
    withheld = False
    entry = _glossary_entry(normaliser, wanted, lesson.glossary)
    if entry is not None:
        if not reveals(question, entry.meaning, lesson.synonyms):
            return Lookup(True, f"**{entry.term}**: {entry.meaning}", "the lesson's glossary")
        withheld = True
    for term in (vocabulary or {}).values():
        if wanted <= _content(normaliser, term.name):
            if not reveals(question, term.meaning, lesson.synonyms):
                return Lookup(True, f"**{term.name}**: {term.meaning}.", "the shared vocabulary")
            withheld = True
    best = []
    for rank, source in enumerate([concept, *(c for c in lesson.concepts if c is not concept)]):
        for sentence in _sentences(source.explanation):
            shared = len(wanted & _content(normaliser, sentence))
            if shared:
                # More of the asked words first; the current concept breaks ties.
                best.append((-shared / len(wanted), rank, sentence, source.title))
    best.sort(key=lambda item: item[:2])
    chosen = []
    for score, _, sentence, title in best:
        if chosen and (title != chosen[0][1] or score > best[0][0]):
            break
        if not reveals(question, sentence, lesson.synonyms):
            chosen.append((sentence, title))
        else:
            withheld = True
        if len(chosen) == MAX_SENTENCES:
            break
    if not chosen:
        return Lookup(False, "", "", withheld)
    return Lookup(True, " ".join(sentence for sentence, _ in chosen), chosen[0][1])
