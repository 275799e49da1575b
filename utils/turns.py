"""What kind of turn a learner's line is, read before anything is graded.

Only an answer is graded and counts as an attempt. The other kinds are a
learner talking to the tutor, and the tutor answers in kind:

- dont_know: "I don't know", "no idea", "help", "I'm stuck": the next step of the
  ladder (a hint, then a smaller question, then a worked answer), never "Not yet."
- question: a question back ("what do you mean by low-rank?"). A line ending in
  "?" or opening like a question ("what is", "does it") is a question only when it states nothing
  the grader can weigh: "is it because the weights never change?" is a tentative
  answer and is graded.
- request: "say it again", "shorter", "an example", "more".
- unclear: no word of English or of the lesson ("asdf", "??", "hmm").

The grader decides the question-or-answer case, so this module only reads words.
"""

import re
from dataclasses import dataclass

from pockettutor.utils.words import STOPWORDS, WORD

# The patterns are kept as text and compiled when the first line is read (re keeps them
# compiled from then on): a session shows its first question without them.

# The whole line, give or take politeness and punctuation, is one of these.
DONT_KNOW = (
    r"^(?:(?:sorry|honestly|tbh|um+|uh+|hmm+|well|ok|okay)\s+)*"
    r"(?:i\s+)?(?:really\s+|honestly\s+|just\s+)?"
    r"(?:(?:do\s*n[o']?t|dont|don't|have\s+no|got\s+no)\s+(?:know|idea|clue|get\s+it|understand(?:\s+(?:this|it|the\s+question))?)"
    r"|no\s+(?:idea|clue)|idk|dunno|not\s+sure|(?:i'?m\s+|am\s+)?(?:stuck|lost|confused)|(?:i\s+)?give\s+up|pass"
    r"|help(?:\s+me)?|no\s+clue\s+at\s+all|can'?t\s+(?:answer|say)|not\s+a\s+clue)"
    r"(?:\s+(?:sorry|tbh|honestly|at\s+all|really))*$"
)
POLITE = r"(?:can\s+you\s+|could\s+you\s+|please\s+)?"
# "Not sure, but maybe …" is a hedge before a guess: it is graded, not read as "I don't know".
DONT_KNOW_OPENING = r"^(?:i\s+)?(?:do\s*n[o']?t|dont|don't)\s+know\b|^(?:no\s+idea|idk)\b"
REQUESTS = {
    "repeat": (
        rf"^{POLITE}(?:say\s+(?:it|that)\s+again|repeat(?:\s+(?:it|that|the\s+question))?|again"
        r"|what\s+was\s+the\s+question|remind\s+me|recap)(?:\s+please)?$"
    ),
    "shorter": (
        rf"^(?:{POLITE}(?:make\s+it\s+|say\s+it\s+|explain\s+(?:it\s+)?)?"
        r"(?:shorter|simpler|more\s+simply|in\s+short|tl;?dr|too\s+long)|keep\s+it\s+short)(?:\s+please)?$"
    ),
    "example": (
        rf"^(?:{POLITE}(?:give\s+(?:me\s+)?|show\s+(?:me\s+)?)?(?:an?\s+|another\s+)?(?:example|analogy|picture)"
        r"|another\s+way|explain\s+(?:it\s+)?differently)(?:\s+please)?$"
    ),
    "more": (
        rf"^{POLITE}(?:tell\s+me\s+more|more(?:\s+detail)?|go\s+on|explain\s+more|the\s+full\s+explanation)"
        r"(?:\s+please)?$"
    ),
}
# Without a "?", a short line that opens with a question word and a verb ("what is",
# "how does") is a question; a longer one is an answer that happens to open that way.
QUESTION_MAX_WORDS = 8
# Without a "?", a question opens with a question word and a verb ("what is", "how does")
# or an inverted verb ("is it", "does the"); "when one side is heavier" is an answer.
QUESTION_WORDS = {"what", "why", "how", "which", "who", "where", "when", "whats", "wait"}
ASKING_VERBS = {"is", "are", "was", "were", "does", "do", "did", "can", "could", "would", "should", "will", "s"}
INVERTED_SUBJECTS = {"it", "this", "that", "there", "you", "i", "we", "they", "the", "a", "an"}
# A guess put as a question ("maybe it's the rank?") is a tentative answer, not a question back.
HEDGE = r"\b(?:maybe|perhaps|probably|i think|i guess|i'd guess|my guess|could it be)\b"
# Lines that say nothing at all; a lone "yes" or "no" is an answer (graded, and short).
FILLERS = {"hmm", "hm", "um", "umm", "uh", "ok", "okay", "lol", "k", "eh", "meh", "huh", "erm", "what"}
ANSWER_WORDS = {"yes", "no", "yeah", "yep", "nope", "not", "never", "none", "both", "neither", "same"}


# An answer longer than this is cut: a paste of a whole document would fill every prompt,
# transcript line and profile it reaches.
MAX_ANSWER_CHARS = 4000


def bounded(answer):
    """(answer, was_cut): the answer, cut to MAX_ANSWER_CHARS."""
    return answer[:MAX_ANSWER_CHARS], len(answer) > MAX_ANSWER_CHARS


@dataclass(frozen=True)
class Turn:
    kind: str  # answer | dont_know | question | request | unclear
    request: str = ""  # for a request: repeat | shorter | example | more


def _plain(text):
    lowered = text.lower().replace("’", "'")
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s';]", " ", lowered)).strip()


def looks_like_a_question(text):
    """Ends in '?' or opens with a question word."""
    words = _plain(text).replace("'", " ").split()
    if text.rstrip().endswith("?"):
        return True
    if len(words) < 2:
        return False
    if len(words) > QUESTION_MAX_WORDS:
        return False  # "What is going on is that …" answers
    first, second = words[0], words[1]
    return (first in QUESTION_WORDS and second in ASKING_VERBS) or (
        first in ASKING_VERBS and second in INVERTED_SUBJECTS
    )


def read_turn(text, known_words, states_something):
    """The kind of turn `text` is. `known_words`: lower-case words of the lesson
    (a line with none of them and no English small word is unclear).
    `states_something(text)`: whether the grader finds anything to weigh in it."""
    plain = _plain(text)
    if not plain or re.match(DONT_KNOW, plain):
        return Turn("dont_know") if plain else Turn("unclear")
    for name, pattern in REQUESTS.items():
        if re.match(pattern, plain):
            return Turn("request", name)
    words = WORD.findall(text.lower())
    meaningful = [w for w in words if (w in STOPWORDS or w in ANSWER_WORDS or w in known_words) and w not in FILLERS]
    if not meaningful and len(words) <= 4:
        return Turn("unclear")
    if re.match(DONT_KNOW_OPENING, plain) and not states_something(text):
        return Turn("dont_know")  # "I don't know, maybe something with weights?"
    if looks_like_a_question(text) and not re.search(HEDGE, plain) and not states_something(text):
        return Turn("question")
    return Turn("answer")


def lesson_words(lesson):
    """Every lower-case word the lesson's teaching and questions use."""
    texts = [lesson.title, lesson.summary]
    for concept in lesson.concepts:
        texts += [concept.title, concept.explanation, *(a.text for a in concept.analogies)]
        for question in concept.questions:
            texts += [question.prompt, question.reference_answer, *question.hints]
            texts += [text for item in [*question.key_ideas, *question.misconceptions] for text in item.phrasings]
    return {w for text in texts if text for w in WORD.findall(text.lower())}
