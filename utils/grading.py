"""The offline rubric grader.

An answer is read as statements (sentences, cut again at ";", ":", dashes and
contrast words), each a sequence of stemmed words with their negation. A
phrasing of a key idea or misconception matches when all its words occur in
one statement with the same negation, in order where the phrasing compares
("W larger than BA"). A phrasing that holds a comparison word or a role
(a party of the question) is also compiled the other way round: a statement
that says it reversed ("BA larger than W", "Team P can promise it") is
evidence against the idea. The verdict follows from what matched; see
docs/lesson-format.md.
"""

import re
from dataclasses import dataclass, field
from functools import cached_property
from itertools import product

from pockettutor.utils.words import CLAUSE_BREAKS as CLAUSE_WORDS
from pockettutor.utils.words import (
    COMPARISON_FOLDS,
    NEGATORS,
    STOPWORDS,
    VERB_NEGATORS,
    WORD,
    Spelling,
    lower_text,
    opposites_table,
    raw_words,
    stem,
)

# Stands in after a synonym that swallowed a negator: negates the rest of the clause.
NEGATION_CARRIES = "\0not"
# A full stop ends a sentence only before a space or the end, so "0.5" stays one token.
SENTENCE_SPLIT = re.compile(r"[.!?]+(?=\s|$)|\n+")
# A statement also ends here: a relation stated in one must not borrow words from the next.
STATEMENT_SPLIT = re.compile(r";|\s[-–—]+\s|[–—]|\b(?:whereas|while|but|although|though|however)\b", re.IGNORECASE)
# Negation ends at these too, though the statement goes on ("huge lambda: weights stuck" is one statement).
CLAUSE_PUNCT = re.compile(r"[,:()]|->|=>|→")
# "no it has a cutoff": a sentence-opening "no" before a pronoun or article answers
# the question; it does not negate what follows.
INTERJECTED_NO = re.compile(r"^\s*no\b(?=\s+(?:it|its|the|they|that|this|you|we|i|he|she|there|a|an|because)\b)")
# At most this many comparison words of one phrasing are flipped (2^n variants).
MAX_FLIPS = 3
# Words the prompt supplies count for nothing on their own: a phrasing made only of
# them is evidence only in a statement that adds at least this many words of the learner's.
LEARNER_WORDS_WITH_PROMPT_PHRASING = 2


@dataclass(frozen=True)
class Statement:
    """One statement of an answer: its text as typed, and its words in order."""

    text: str
    words: tuple  # (stem, negated), content words only

    @cached_property
    def pairs(self):
        return frozenset(self.words)

    @cached_property
    def first(self):
        positions = {}
        for index, (word, _) in enumerate(self.words):
            positions.setdefault(word, index)
        return positions

    @cached_property
    def last(self):
        return {word: index for index, (word, _) in enumerate(self.words)}


class Normaliser:
    """Turns text into statements, applying synonyms, comparison folds,
    opposites of negated comparison words ("not exact" = "approximate") and,
    given a Spelling, typo tolerance."""

    def __init__(self, synonyms=None, opposites=None, spelling=None):
        self.opposites = opposites_table(opposites)
        self.spelling = spelling
        # Variants are matched as stemmed word sequences, longest first, so a
        # multi-word variant wins over a single word inside it. They are indexed by
        # their first word, so each word is compared only with those that can start there.
        self._variants = {}
        for canonical, variants in (synonyms or {}).items():
            target = [self._stem(w) for w in raw_words(canonical)]
            for variant in [canonical, *variants]:
                words = tuple(self._stem(w) for w in raw_words(variant))
                if words:
                    # A variant that swallows a verb's negator ("not trained" -> frozen) keeps
                    # its reach over the rest of the clause: in "does not train the fewest",
                    # "fewest" stays negated. A determiner's ("no caching" -> uncached) reaches
                    # only its noun, so "no caching means ..." negates nothing more.
                    negates = any(w in VERB_NEGATORS for w in words) and not any(w in NEGATORS for w in target)
                    replacement = [*target, NEGATION_CARRIES] if negates else target
                    self._variants.setdefault(words[0], []).append((words, replacement))
        for candidates in self._variants.values():
            candidates.sort(key=lambda item: -len(item[0]))

    @staticmethod
    def _stem(word):
        return stem(COMPARISON_FOLDS.get(word, word))

    def _stems(self, text):
        out = []
        for word in WORD.findall(text):
            corrected = self.spelling.correct(word) if self.spelling else None
            out.append(corrected or self._stem(word))
        return out

    def _apply_synonyms(self, words):
        out, i = [], 0
        while i < len(words):
            for variant, target in self._variants.get(words[i], ()):
                if tuple(words[i : i + len(variant)]) == variant:
                    out.extend(target)
                    i += len(variant)
                    break
            else:
                out.append(words[i])
                i += 1
        return out

    def _mark(self, text):
        """Content words of one statement as (stem, negated), in order."""
        marked = []
        for clause in CLAUSE_PUNCT.split(text):
            negated = False
            for word in self._apply_synonyms(self._stems(clause)):
                if word in NEGATORS or word == NEGATION_CARRIES:
                    negated = True
                elif word in CLAUSE_WORDS:
                    negated = False
                elif word not in STOPWORDS:
                    opposite = self.opposites.get(word)
                    if negated and opposite and len(opposite) == 1:
                        marked.append((next(iter(opposite)), False))
                    else:
                        marked.append((word, negated))
        return tuple(marked)

    def statements(self, text):
        result = []
        for sentence in SENTENCE_SPLIT.split(text):
            for piece in STATEMENT_SPLIT.split(sentence):
                words = self._mark(INTERJECTED_NO.sub("", lower_text(piece)))
                if words:
                    result.append(Statement(piece.strip(" \t,;:-–—"), words))
        return result

    def sentences(self, text):
        """Each statement's content words as a list of (stem, negated)."""
        return [list(statement.words) for statement in self.statements(text)]

    def sequence(self, phrasing):
        """A phrasing's words in order, as one statement."""
        return tuple(pair for statement in self.statements(phrasing) for pair in statement.words)

    def pattern(self, phrasing):
        """A phrasing as a set of (word, negated) that must all occur together."""
        return frozenset(self.sequence(phrasing))


@dataclass(frozen=True)
class Variant:
    """One way a phrasing can be stated. `odd` variants state the relation the
    other way round. An ordered variant needs its `left` words before its
    `right` ones."""

    words: frozenset
    left: frozenset = frozenset()
    right: frozenset = frozenset()
    odd: bool = False
    learner_words: int = 0  # words the question's prompt does not supply

    def matches(self, statement):
        if not self.words <= statement.pairs:
            return False
        if not self.right:
            return True
        return max(statement.first[w] for w, _ in self.left) < min(statement.last[w] for w, _ in self.right)


def compile_phrasing(text, normaliser, roles, prompt_words):
    """Every variant of a phrasing: as written, with its comparison words
    flipped, its roles swapped and (for "X ... than Y") its sides swapped. An
    even number of such changes states the same relation; an odd number, the
    reverse. A variant equal to one that states the relation is dropped from
    the reversed ones."""
    parts = re.split(r"\bthan\b", text, maxsplit=1, flags=re.IGNORECASE)
    left = list(normaliser.sequence(parts[0]))
    right = list(normaliser.sequence(parts[1])) if len(parts) > 1 else []
    if not right:
        left, right = left + right, []
    tokens = left + right
    flippable = [i for i, (w, neg) in enumerate(tokens) if not neg and w in normaliser.opposites][:MAX_FLIPS]
    has_roles = any(w in roles for w, _ in tokens)
    options = [[tokens[i][0], *sorted(normaliser.opposites[tokens[i][0]])] for i in flippable]
    found = {}
    for choice in product(*options):
        for role_swap in (False, True) if has_roles else (False,):
            for side_swap in (False, True) if right else (False,):
                changed = list(tokens)
                flips = 0
                for index, word in zip(flippable, choice, strict=True):
                    if word != tokens[index][0]:
                        changed[index] = (word, False)
                        flips += 1
                if role_swap:
                    changed = [(roles.get(w, w), neg) for w, neg in changed]
                first, second = changed[: len(left)], changed[len(left) :]
                if side_swap:
                    first, second = second, first
                odd = (flips + role_swap + side_swap) % 2 == 1
                key = (frozenset(changed), frozenset(first) if second else frozenset(), frozenset(second))
                if odd and key in found and not found[key].odd:
                    continue
                learner = sum(1 for w, _ in set(changed) if w not in prompt_words)
                found[key] = Variant(key[0], key[1], key[2], odd, learner)
    return list(found.values())


@dataclass(frozen=True)
class Evidence:
    kind: str  # idea | misconception | reversed
    id: str
    quote: str  # the learner's statement that showed it


@dataclass(frozen=True)
class Grade:
    verdict: str  # correct | partial | incorrect
    met: tuple = ()  # ids of key ideas the answer states
    missed: tuple = ()  # ids of key ideas it does not
    misconceptions: tuple = ()  # ids of misconceptions it states
    engine: str = "offline"
    feedback: str = field(default="", compare=False)
    reversed: tuple = ()  # ids of key ideas the answer states the other way round
    evidence: tuple = field(default=(), compare=False)  # Evidence, in the answer's order
    confidence: str = field(default="strong", compare=False)  # strong | weak | mixed

    def quote(self, kind, item_id):
        return next((e.quote for e in self.evidence if e.kind == kind and e.id == item_id), "")

    def as_record(self):
        """The verdict and its evidence as plain data: transcripts, disputes, `tutor grade --json`."""
        return {
            "verdict": self.verdict,
            "confidence": self.confidence,
            "engine": self.engine,
            "met": list(self.met),
            "missed": list(self.missed),
            "misconceptions": list(self.misconceptions),
            "reversed": list(self.reversed),
            "evidence": [{"kind": e.kind, "id": e.id, "quote": e.quote} for e in self.evidence],
        }


def verdict_for(met, missed, misconceptions, reversed_ids=()):
    """The one rule that turns what an answer contains into a verdict. Every key
    idea stated plus a wrong claim beside them is partly there; a reversed idea,
    or a wrong claim with an idea missing, is not."""
    if reversed_ids or (misconceptions and missed):
        return "incorrect"
    if misconceptions:
        return "partial"
    if not missed:
        return "correct"
    return "partial" if met else "incorrect"


# A correct verdict on fewer content words than this that the prompt did not
# supply rests on too little of the learner's own to be sure of.
OWN_WORDS_FOR_A_SURE_CORRECT = 3


def confidence_for(verdict, met, held, reversed_ids, conflicted, own_words):
    """How strong the evidence for a verdict is. Mixed: the answer states ideas
    and also a misconception, a reversal, or an idea both ways. Weak: a correct
    verdict on an answer with few words of the learner's own."""
    if conflicted or (met and (held or reversed_ids)):
        return "mixed"
    if verdict == "correct" and own_words < OWN_WORDS_FOR_A_SURE_CORRECT:
        return "weak"
    return "strong"


def prompt_vocabulary(normaliser, prompt):
    return {word for statement in normaliser.statements(prompt) for word, _ in statement.words}


def _rubric_texts(question):
    yield question.prompt
    yield question.reference_answer
    yield from question.hints
    for item in [*question.key_ideas, *question.misconceptions]:
        yield item.description
        yield from item.phrasings
    for m in question.misconceptions:
        yield m.remedy
    for canonical, variants in question.synonyms.items():
        yield canonical
        yield from variants


class Rubric:
    """A question's phrasings, compiled once: grading an answer then only
    normalises the answer."""

    def __init__(self, question, synonyms):
        # A question's synonyms add variants to the lesson's, never hide them.
        merged = {canonical: list(variants) for canonical, variants in (synonyms or {}).items()}
        for canonical, variants in question.synonyms.items():
            merged[canonical] = merged.get(canonical, []) + list(variants)
        plain = Normaliser(merged, question.opposites)
        rubric_words = {
            w
            for item in [*question.key_ideas, *question.misconceptions]
            for text in item.phrasings
            for w in raw_words(text)
        } | {w for canonical, variants in merged.items() for text in [canonical, *variants] for w in raw_words(text)}
        known = {w for text in _rubric_texts(question) for w in raw_words(text)}
        spelling = Spelling(rubric_words, known, set(plain.opposites))
        self.normaliser = Normaliser(merged, question.opposites, spelling)
        self.prompt_words = prompt_vocabulary(plain, question.prompt)
        role_map = {}
        for first, second in question.roles:
            a, b = plain.sequence(first), plain.sequence(second)
            if len(a) == 1 and len(b) == 1:
                role_map[a[0][0]], role_map[b[0][0]] = b[0][0], a[0][0]
        self.roles = role_map

        def variants(phrasings):
            return [v for p in phrasings for v in compile_phrasing(p, plain, role_map, self.prompt_words)]

        self.ideas = [(idea.id, variants(idea.phrasings)) for idea in question.key_ideas]
        self.misconceptions = [(m.id, [v for v in variants(m.phrasings) if not v.odd]) for m in question.misconceptions]
        # No key ideas authored: each sentence of the reference answer is one.
        self.derived = [] if question.key_ideas else derive_ideas(plain, question.reference_answer)

    def _added(self, statement):
        """How many of a statement's words the prompt did not supply."""
        return len({w for w, _ in statement.words} - self.prompt_words)

    def _evidence_of(self, variants, statements, unsound=frozenset()):
        """(statement, variant) stating the item, and statements stating it reversed.
        Words the prompt supplies count for nothing on their own, and an unsound
        statement (one making a wrong claim) is no evidence for the item."""
        stated, against = None, None
        for statement in statements:
            for variant in variants:
                if (
                    not variant.odd
                    and variant.matches(statement)
                    and (variant.learner_words or self._added(statement) >= LEARNER_WORDS_WITH_PROMPT_PHRASING)
                ):
                    if statement not in unsound and (stated is None or variant.learner_words > stated[1].learner_words):
                        stated = (statement, variant)
                    break
            else:
                if against is None:
                    against = next(
                        (statement for v in variants if v.odd and v.learner_words and v.matches(statement)), None
                    )
        return stated, against

    def reversals(self, answer):
        """(key idea id, statement) for each statement of the answer that states a
        key idea the other way round: what makes a right answer's evidence mixed."""
        statements = self.normaliser.statements(answer)
        return [
            (idea_id, statement.text)
            for idea_id, variants in self.ideas
            for statement in statements
            if any(v.odd and v.learner_words and v.matches(statement) for v in variants)
        ]

    def grade(self, answer):
        statements = self.normaliser.statements(answer)
        evidence, held, wrong = [], [], set()
        for m_id, variants in self.misconceptions:
            stated, _ = self._evidence_of(variants, statements)
            if stated:
                held.append(m_id)
                evidence.append(Evidence("misconception", m_id, stated[0].text))
                wrong.update(s for s in statements if any(v.matches(s) for v in variants))
        if self.derived:
            sentences = [list(s.words) for s in statements]
            return grade_by_reference(self.derived, sentences, held)
        met, missed, reversed_ids, conflicted = [], [], [], False
        for idea_id, variants in self.ideas:
            # A statement making a wrong claim meets no key idea, whatever words
            # it shares with one ("fine-tuning starts from random weights").
            stated, against = self._evidence_of(variants, statements, wrong)
            if stated:
                met.append(idea_id)
                evidence.append(Evidence("idea", idea_id, stated[0].text))
                conflicted = conflicted or against is not None
            else:
                missed.append(idea_id)
                if against is not None:
                    reversed_ids.append(idea_id)
                    evidence.append(Evidence("reversed", idea_id, against.text))
        order = {s.text: i for i, s in reversed(list(enumerate(statements)))}
        evidence.sort(key=lambda e: order.get(e.quote, 0))
        verdict = verdict_for(met, missed, held, reversed_ids)
        own_words = len({w for s in statements for w, _ in s.words} - self.prompt_words)
        return Grade(
            verdict,
            tuple(met),
            tuple(missed),
            tuple(held),
            reversed=tuple(reversed_ids),
            evidence=tuple(evidence),
            confidence=confidence_for(verdict, met, held, reversed_ids, conflicted, own_words),
        )


# Reference-answer mode, for a question authored with a reference answer only.
# The verdict follows the share of the reference's content words (stemmed, with
# their negation) that the answer states, and for "correct" the share of the
# reference's sentences it meets; the thresholds were chosen on SAF's training
# split only, for the best macro-F1 with at most 20% false accepts
# (python -m bench.saf --tune; docs/benchmarks.md).
REFERENCE_CORRECT = 0.325
REFERENCE_PARTIAL = 0.025
REFERENCE_IDEAS_FOR_CORRECT = 0.5
IDEA_COVERAGE = 0.3  # share of a reference sentence's content words that meets it as an idea


def derive_ideas(normaliser, reference_answer):
    """The reference answer's sentences as ideas: (id, content words with their
    negation). A sentence of fewer than two content words is a heading or a
    fragment, not an idea."""
    sentences = [frozenset(sentence) for sentence in normaliser.sentences(reference_answer)]
    ideas = [words for words in sentences if len(words) >= 2] or [frozenset().union(*sentences)]
    return [(f"reference-{number}", words) for number, words in enumerate(ideas, 1) if words]


def reference_coverage(ideas, sentences):
    """The share of the reference's content words the answer states."""
    reference = frozenset().union(*(words for _, words in ideas))
    said = {pair for sentence in sentences for pair in sentence}
    return len(reference & said) / len(reference) if reference else 0.0


def grade_by_reference(ideas, sentences, held, correct_at=None, partial_at=None, ideas_for_correct=None):
    """The verdict from the share of the reference stated and of its sentences
    met; the ideas met (the reference's sentences the answer mostly states) say
    what was covered."""
    correct_at = REFERENCE_CORRECT if correct_at is None else correct_at
    partial_at = REFERENCE_PARTIAL if partial_at is None else partial_at
    ideas_for_correct = REFERENCE_IDEAS_FOR_CORRECT if ideas_for_correct is None else ideas_for_correct
    said = {pair for sentence in sentences for pair in sentence}
    met = [idea_id for idea_id, words in ideas if len(words & said) >= IDEA_COVERAGE * len(words)]
    missed = [idea_id for idea_id, _ in ideas if idea_id not in met]
    share = reference_coverage(ideas, sentences)
    if held:
        verdict = "incorrect"
    elif share >= correct_at and len(met) >= ideas_for_correct * len(ideas):
        verdict = "correct"
    elif share >= partial_at:
        verdict = "partial"
    else:
        verdict = "incorrect"
    return Grade(verdict, tuple(met), tuple(missed), tuple(held))


# (id(question), id(synonyms)) -> (question, synonyms, Rubric). The entry holds
# the objects themselves, so their ids cannot be reused while it is cached.
_RUBRICS = {}
RUBRIC_CACHE_SIZE = 1024


def rubric_for(question, synonyms=None):
    key = (id(question), id(synonyms))
    cached = _RUBRICS.get(key)
    if cached is None or cached[0] is not question or cached[1] is not synonyms:
        if len(_RUBRICS) >= RUBRIC_CACHE_SIZE:
            _RUBRICS.clear()
        cached = _RUBRICS[key] = (question, synonyms, Rubric(question, synonyms))
    return cached[2]


def grade(question, answer, synonyms=None):
    """Grade `answer` against `question`'s rubric. `synonyms` are the lesson's;
    the question's own are added to them."""
    return rubric_for(question, synonyms).grade(answer)


def reveals(question, text, synonyms=None, known=()):
    """True when `text` states a key idea the learner has not yet stated
    (those in `known` are fair to repeat), or quotes the reference answer:
    such a message would hand over the answer."""
    found = grade(question, text, synonyms)
    if set(found.met) - set(known):
        return True
    normaliser = Normaliser()
    reference = " ".join(w for s in normaliser.sentences(question.reference_answer) for w, _ in s)
    said = " ".join(w for s in normaliser.sentences(text) for w, _ in s)
    return bool(reference) and reference in said
