"""The offline rubric grader.

An answer is compared with each key idea's and misconception's phrasings after
normalisation (case, contractions, punctuation, simple stemming, the rubric's
synonyms). A phrasing matches when all its content words occur in one sentence
of the answer with the same negation, so "B is not zero" never matches
"B is zero". The verdict follows from what matched; see docs/lesson-format.md.
"""

import re
from dataclasses import dataclass, field

NEGATORS = {"not", "no", "never", "without", "none", "nothing", "nowhere", "neither", "nor", "cannot"}
VERB_NEGATORS = {"not", "never", "cannot"}
# Stands in after a synonym that swallowed a negator: negates the rest of the clause.
NEGATION_CARRIES = "\0not"
# A negation reaches to the end of its clause; these words start a new clause.
CLAUSE_BREAKS = {"but", "and", "or", "because", "so", "while", "whereas", "although", "though", "since", "yet"}
STOPWORDS = {
    "a",
    "an",
    "the",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "am",
    "of",
    "to",
    "in",
    "on",
    "at",
    "by",
    "for",
    "with",
    "as",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "there",
    "then",
    "than",
    "do",
    "does",
    "did",
    "has",
    "have",
    "had",
    "will",
    "would",
    "can",
    "could",
    "should",
    "shall",
    "may",
    "might",
    "must",
    "i",
    "you",
    "we",
    "they",
    "he",
    "she",
    "them",
    "their",
    "our",
    "your",
    "my",
    "me",
    "us",
    "which",
    "what",
    "who",
    "whom",
    "just",
    "also",
    "very",
    "really",
    "into",
    "onto",
    "from",
    "about",
    "such",
    "here",
    "where",
    "when",
    "how",
    "why",
    "if",
    "because",
    "so",
    "and",
    "or",
    "but",
    "while",
    "whereas",
    "although",
    "though",
    "since",
    "yet",
    "get",
    "gets",
    "got",
    "stay",
    "stays",
    "remain",
    "remains",
    "way",
    "thing",
}
CONTRACTIONS = [
    (re.compile(r"\bcan't\b|\bcannot\b"), "can not"),
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"n't\b"), " not"),
    # Typed without the apostrophe, as learners often do.
    (re.compile(r"\b(do|does|did|is|are|was|were|has|have|had|should|would|could|must|need)nt\b"), r"\1 not"),
    (re.compile(r"\bcant\b"), "can not"),
    (re.compile(r"'(s|re|ve|ll|d|m)\b"), ""),
]
# A full stop ends a sentence only before a space or the end, so "0.5" stays one token.
SENTENCE_SPLIT = re.compile(r"[.!?]+(?=\s|$)|\n+")
# "no it has a cutoff": a sentence-opening "no" before a pronoun or article answers
# the question; it does not negate what follows.
INTERJECTED_NO = re.compile(r"^\s*no\b(?=\s+(?:it|its|the|they|that|this|you|we|i|he|she|there|a|an|because)\b)")
CLAUSE_PUNCT = re.compile(r"[,;:()]|->|=>|→|[–—]|\s-+\s")
WORD = re.compile(r"[a-z0-9]+(?:[./][0-9]+)?|[=+*/^<>≈α-ωΔ-Ω]")


def stem(word):
    """A deliberately small suffix stripper: enough to fold plurals, tenses and
    British/American spellings onto one form ("merges", "merged", "merging",
    "merge" -> "merg"; "initialised" -> "initializ")."""
    if len(word) <= 3 or not word.isalpha() or word in STOPWORDS or word in NEGATORS:
        return word
    # Every form of a word takes the -ise -> -ize turn, or none does ("raise", "raising").
    word = re.sub(r"is(e|ed|es|ing|ation|ations)$", r"iz\1", word)
    for suffix, keep in (("ies", "y"), ("ing", ""), ("edly", ""), ("ed", ""), ("ly", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith("ss"):
                break
            if suffix == "es" and not re.search(r"(ch|sh|x|z|ss)es$", word):
                continue
            word = word[: len(word) - len(suffix)] + keep
            if suffix in ("ing", "ed") and len(word) >= 4 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    if word in NEGATORS or word in CLAUSE_BREAKS:
        return word + "_"  # "notes" must not become the negator "not"
    return word


def _words(text):
    text = text.lower()
    for pattern, replacement in CONTRACTIONS:
        text = pattern.sub(replacement, text)
    return text


class Normaliser:
    """Turns text into sentences of (word, negated) pairs, applying synonyms."""

    def __init__(self, synonyms=None):
        # Variants are matched as stemmed word sequences, longest first, so a
        # multi-word variant wins over a single word inside it.
        # They are indexed by their first word, so each word of an answer is
        # compared only with the variants that can start there.
        self._variants = {}
        for canonical, variants in (synonyms or {}).items():
            target = [stem(w) for w in WORD.findall(_words(canonical))]
            for variant in [canonical, *variants]:
                words = tuple(stem(w) for w in WORD.findall(_words(variant)))
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

    def sentences(self, text):
        """Each sentence as a list of (stemmed word, negated) for content words."""
        result = []
        for sentence in SENTENCE_SPLIT.split(_words(text)):
            sentence = INTERJECTED_NO.sub("", sentence)
            marked = []
            for clause in CLAUSE_PUNCT.split(sentence):
                negated = False
                words = self._apply_synonyms([stem(w) for w in WORD.findall(clause)])
                for word in words:
                    if word in NEGATORS or word == NEGATION_CARRIES:
                        negated = True
                    elif word in CLAUSE_BREAKS:
                        negated = False
                    elif word not in STOPWORDS:
                        marked.append((word, negated))
            if marked:
                result.append(marked)
        return result

    def pattern(self, phrasing):
        """A phrasing as a set of (word, negated) that must all occur together."""
        return frozenset(pair for sentence in self.sentences(phrasing) for pair in sentence)


def matches(pattern, sentences):
    return bool(pattern) and any(pattern <= set(sentence) for sentence in sentences)


@dataclass(frozen=True)
class Grade:
    verdict: str  # correct | partial | incorrect
    met: tuple = ()  # ids of key ideas the answer states
    missed: tuple = ()  # ids of key ideas it does not
    misconceptions: tuple = ()  # ids of misconceptions it states
    engine: str = "offline"
    feedback: str = field(default="", compare=False)


def verdict_for(met, missed, misconceptions):
    """The one rule that turns what an answer contains into a verdict."""
    if misconceptions:
        return "incorrect"
    if not missed:
        return "correct"
    return "partial" if met else "incorrect"


class Rubric:
    """A question's phrasings, normalised once: grading an answer then only
    normalises the answer."""

    def __init__(self, question, synonyms):
        # A question's synonyms add variants to the lesson's, never hide them.
        merged = {canonical: list(variants) for canonical, variants in (synonyms or {}).items()}
        for canonical, variants in question.synonyms.items():
            merged[canonical] = merged.get(canonical, []) + list(variants)
        self.normaliser = Normaliser(merged)
        pattern = self.normaliser.pattern
        self.ideas = [(idea.id, [pattern(p) for p in idea.phrasings]) for idea in question.key_ideas]
        self.misconceptions = [(m.id, [pattern(p) for p in m.phrasings]) for m in question.misconceptions]
        # No key ideas authored: each sentence of the reference answer is one.
        self.derived = [] if question.key_ideas else derive_ideas(self.normaliser, question.reference_answer)

    def grade(self, answer):
        sentences = self.normaliser.sentences(answer)
        held = [m_id for m_id, patterns in self.misconceptions if any(matches(p, sentences) for p in patterns)]
        if self.derived:
            return grade_by_reference(self.derived, sentences, held)
        met, missed = [], []
        for idea_id, patterns in self.ideas:
            (met if any(matches(p, sentences) for p in patterns) else missed).append(idea_id)
        return Grade(verdict_for(met, missed, held), tuple(met), tuple(missed), tuple(held))


# Reference-answer mode, for a question authored with a reference answer only.
# The verdict follows the share of the reference's content words (stemmed, with
# their negation) that the answer states; the thresholds were chosen on SAF's
# training split only (python -m bench.saf --tune; docs/benchmarks.md).
REFERENCE_CORRECT = 0.25
REFERENCE_PARTIAL = 0.025
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


def grade_by_reference(ideas, sentences, held, correct_at=None, partial_at=None):
    """The verdict from the share of the reference stated; the ideas met (the
    reference's sentences the answer mostly states) say what was covered."""
    correct_at = REFERENCE_CORRECT if correct_at is None else correct_at
    partial_at = REFERENCE_PARTIAL if partial_at is None else partial_at
    said = {pair for sentence in sentences for pair in sentence}
    met = [idea_id for idea_id, words in ideas if len(words & said) >= IDEA_COVERAGE * len(words)]
    missed = [idea_id for idea_id, _ in ideas if idea_id not in met]
    share = reference_coverage(ideas, sentences)
    if held:
        verdict = "incorrect"
    elif share >= correct_at:
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
    the question's own synonyms are added to them."""
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
