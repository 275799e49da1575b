"""How the grader reads single words: case and contractions, stems, the
comparison words and their opposites, and typo tolerance.

Stems come from the Snowball (Porter2) English stemmer; typo distances from
rapidfuzz. docs/design.md says why these two.
"""

import re
from functools import lru_cache

# "hardly changes" says the opposite of "hard changes": these words negate, as "not" does.
NEGATORS = {
    "not",
    "no",
    "never",
    "without",
    "none",
    "nothing",
    "nowhere",
    "neither",
    "nor",
    "cannot",
    "hardly",
    "barely",
    "scarcely",
}
VERB_NEGATORS = {"not", "never", "cannot"}
# A negation reaches to the end of its clause; these words start a new clause.
CLAUSE_BREAKS = {"but", "and", "or", "because", "so", "while", "whereas", "although", "though", "since", "yet"}
STOPWORDS = set(
    """a an the is are was were be been being am of to in on at by for with as it its this that these those there
    then than do does did has have had will would can could should shall may might must i you we they he she them
    their our your my me us which what who whom just also very really into onto from about such here where when how
    why if because so and or but while whereas although though since yet get gets got stay stays remain remains way
    thing""".split()
)
CONTRACTIONS = [
    (re.compile(r"\bcan't\b|\bcannot\b"), "can not"),
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"n't\b"), " not"),
    # Typed without the apostrophe, as learners often do.
    (re.compile(r"\b(do|does|did|is|are|was|were|has|have|had|should|would|could|must|need)nt\b"), r"\1 not"),
    (re.compile(r"\bcant\b"), "can not"),
    (re.compile(r"\bwont\b"), "will not"),
    (re.compile(r"['’](s|re|ve|ll|d|m)\b"), ""),
]
WORD = re.compile(r"[a-z0-9]+(?:[./][0-9]+)?|[=+*/^<>≈α-ωΔ-Ω]")

# Plurals the stemmer does not fold onto their singular.
IRREGULAR = {
    "matrices": "matrix",
    "vertices": "vertex",
    "indices": "index",
    "hypotheses": "hypothesis",
    "analyses": "analysis",
    "criteria": "criterion",
    "phenomena": "phenomenon",
}
# British -ise verbs are folded onto -ize before stemming ("initialised" = "initialized"),
# except words where -ise is not that suffix ("precise" must stay with "precisely").
NOT_ISE_VERBS = {
    "otherwise",
    "likewise",
    "clockwise",
    "compromise",
    "expertise",
    "exercise",
    "merchandise",
    "franchise",
    "enterprise",
    "surprise",
    "precise",
    "concise",
    "paradise",
    "premise",
    "promise",
    "advise",
    "revise",
    "devise",
    "supervise",
    "improvise",
    "despise",
    "disguise",
    "noise",
    "raise",
    "praise",
    "arise",
    "rise",
    "wise",
}
ISE_FORM = re.compile(r"^(.{4,})is(e|ed|es|ing|ation|ations)$")


@lru_cache(maxsize=1)
def _stemmer():
    # Loaded with the first answer read, not at start: a session's first screen needs no stems.
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=1 << 16)
def stem(word):
    """The Snowball stem of a lower-case word, with British spellings and a few
    irregular plurals folded first. A stem never collides with a negator or a
    clause word ("notes" stays a word, not "not")."""
    if len(word) <= 2 or not word.isalpha() or word in STOPWORDS or word in NEGATORS:
        return word
    word = IRREGULAR.get(word, word)
    form = ISE_FORM.match(word)
    if form and form.group(1) + "ise" not in NOT_ISE_VERBS:
        word = f"{form.group(1)}iz{form.group(2)}"
    stemmed = _stemmer().stemWord(word)
    if stemmed in NEGATORS or stemmed in CLAUSE_BREAKS:
        return stemmed + "_"
    return stemmed


# Superscript digits read as a power: "10¹⁸" is 10^18, not 10 ("σ²" is σ^2); "√" as sqrt.
SUPERSCRIPT = re.compile("[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+")
SUPERSCRIPT_DIGITS = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")


def lower_text(text):
    """Lower case, with contractions spelled out ("doesn't" -> "does not"),
    superscript digits written as powers and "√" as sqrt."""
    text = SUPERSCRIPT.sub(lambda m: "^" + m.group().translate(SUPERSCRIPT_DIGITS), text.lower())
    text = text.replace("√", " sqrt ")  # "√n" is the square root of n, not n
    for pattern, replacement in CONTRACTIONS:
        text = pattern.sub(replacement, text)
    return text


def raw_words(text):
    return WORD.findall(lower_text(text))


# Comparison and relation words, each with its opposite. Stating a relation
# with one of them flipped states the opposite relation; flipping two states
# the same one again ("a larger lambda forgets less" = "a smaller lambda forgets more").
# Variants fold onto one word first ("bigger" -> "larger").
COMPARISON_FOLDS = {
    "bigger": "larger",
    "greater": "larger",
    "fewer": "less",
    "lesser": "less",
    "reduce": "decrease",
    "reduces": "decrease",
    "reduced": "decrease",
    "reducing": "decrease",
    "shrink": "decrease",
    "shrinks": "decrease",
    "grow": "increase",
    "grows": "increase",
    "rise": "increase",
    "rises": "increase",
    "slower": "slower",
    "inexact": "approximate",
}
COMPARISON_PAIRS = [
    ("more", "less"),
    ("larger", "smaller"),
    ("large", "small"),
    ("big", "small"),
    ("higher", "lower"),
    ("high", "low"),
    ("increase", "decrease"),
    ("before", "after"),
    ("faster", "slower"),
    ("fast", "slow"),
    ("wider", "narrower"),
    ("wide", "narrow"),
    ("stronger", "weaker"),
    ("strong", "weak"),
    ("exact", "approximate"),
    ("hard", "soft"),
    ("above", "below"),
    ("maximum", "minimum"),
    ("maximize", "minimize"),
    ("many", "few"),
    ("longer", "shorter"),
    ("long", "short"),
    ("earlier", "later"),
    ("early", "late"),
    ("most", "least"),
    ("largest", "smallest"),
    ("highest", "lowest"),
    ("overfit", "underfit"),
]


def opposites_table(extra=None):
    """stem -> set of stems meaning the opposite; `extra` adds an author's pairs."""
    table = {}
    for first, second in [*COMPARISON_PAIRS, *(extra or {}).items()]:
        a, b = _comparison_stem(first), _comparison_stem(second)
        table.setdefault(a, set()).add(b)
        table.setdefault(b, set()).add(a)
    return table


def _comparison_stem(text):
    words = raw_words(text)
    return " ".join(stem(COMPARISON_FOLDS.get(w, w)) for w in words)


class Spelling:
    """Typo tolerance for content words, bounded so short words never collide.

    A word of 5 letters or more that the question's own texts never use is read
    as a rubric word within one edit (two from 10 letters), a transposition
    counting as one, with the same first letter; a word near two rubric words
    of different stems is left alone, and so is any comparison word. Below 7
    letters a changed letter does not count, only a missing, extra or swapped one.
    """

    MIN_LENGTH = 5

    def __init__(self, rubric_words, known_words, protected_stems):
        self._targets = {}
        for word in rubric_words:
            if len(word) >= self.MIN_LENGTH and word.isalpha():
                self._targets[word] = stem(word)
        self._choices = list(self._targets)
        self._known = set(known_words) | set(self._targets)
        self._protected = set(protected_stems)
        self._cache = {}

    def correct(self, word):
        """The stem the typed word stands for, or None when it is not a typo."""
        if len(word) < self.MIN_LENGTH or not word.isalpha() or word in self._known or word in STOPWORDS:
            return None
        if word not in self._cache:
            self._cache[word] = self._lookup(word)
        return self._cache[word]

    def _lookup(self, word):
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        if stem(word) in self._protected:
            return None
        bound = 2 if len(word) >= 10 else 1
        found = {
            self._targets[choice]
            for choice, _, _ in process.extract(
                word, self._choices, scorer=OSA.distance, score_cutoff=bound, limit=None
            )
            if choice[0] == word[0] and not _short_substitution(word, choice)
        }
        return found.pop() if len(found) == 1 else None


# Below this length one changed letter too often makes another real word
# ("scale" and "stale", "shape" and "share"); a missing, extra or swapped letter still counts.
SUBSTITUTION_MIN_LENGTH = 7


def _short_substitution(word, choice):
    """`word` differs from `choice` by letters swapped in place, not a dropped,
    added or transposed one, and is too short for that to be a safe typo."""
    if len(word) >= SUBSTITUTION_MIN_LENGTH or len(word) != len(choice):
        return False
    differ = [i for i, (a, b) in enumerate(zip(word, choice, strict=True)) if a != b]
    transposed = len(differ) == 2 and differ[1] == differ[0] + 1 and word[differ[0]] == choice[differ[1]]
    return not transposed
