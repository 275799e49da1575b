"""`tutor grade`: one answer graded with its evidence, or a stream of JSON
lines graded in order, for instructors writing rubrics and for scripts.

A request names a library question (`COURSE/LESSON/CONCEPT/QUESTION`) or
brings its own prompt and reference answer (reference-answer mode).
"""

import json

from pockettutor.utils.errors import TutorError, UsageError, printable
from pockettutor.utils.lessons import Question


def find_question(library, address):
    """(question, lesson synonyms) for COURSE/LESSON/CONCEPT/QUESTION."""
    parts = address.split("/") if isinstance(address, str) else []
    if len(parts) != 4:
        raise UsageError(f"'{address}' is not COURSE/LESSON/CONCEPT/QUESTION")
    lesson = library.lesson("/".join(parts[:2]))
    concept = next((c for c in lesson.concepts if c.id == parts[2]), None)
    if concept is None:
        raise UsageError(f"no concept '{parts[2]}' in {'/'.join(parts[:2])}")
    question = next((q for q in concept.questions if q.id == parts[3]), None)
    if question is None:
        raise UsageError(f"no question '{parts[3]}' in {'/'.join(parts[:3])}")
    return question, lesson.synonyms


def reference_question(prompt, reference_answer):
    if not isinstance(prompt, str) or not isinstance(reference_answer, str) or not reference_answer.strip():
        raise UsageError("'prompt' and 'reference_answer' must be non-empty strings")
    return Question(id="reference", prompt=prompt, reference_answer=reference_answer)


def request_from_line(library, line):
    """(question, synonyms, answer) from one JSON line; UsageError when it is unusable."""
    try:
        request = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UsageError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(request, dict):
        raise UsageError("expected a JSON object")
    answer = request.get("answer")
    if not isinstance(answer, str):
        raise UsageError("'answer' must be a string")
    if "question" in request:
        question, synonyms = find_question(library, request["question"])
        return question, synonyms, answer
    if "prompt" in request or "reference_answer" in request:
        return reference_question(request.get("prompt"), request.get("reference_answer")), {}, answer
    raise UsageError("give 'question' (COURSE/LESSON/CONCEPT/QUESTION), or 'prompt' and 'reference_answer'")


def grade_lines(library, lines, grade):
    """One JSON object per input line, in order: the grade, or an error. A bad
    line never stops the stream. `grade(question, answer, synonyms)` grades."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            question, synonyms, answer = request_from_line(library, line)
            yield {"line": number, **grade(question, answer, synonyms).as_record()}
        except TutorError as exc:  # a bad request, or a lesson file that fails to load: this line's error
            yield {"line": number, "error": printable(exc)}
