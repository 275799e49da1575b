"""The shipped course library: every lesson loads, meets the library's teaching
standard, and its rubrics grade their own samples right.

Each lesson is its own test case, loaded inside the test, so one broken file
fails only its own cases: `pytest tests/test_library.py -k what-llms-know`."""

import pytest

from pockettutor.utils.grading import grade
from pockettutor.utils.lessons import Library, shipped_library

LIBRARY = Library(shipped_library())  # the shipped courses only, whatever folders this machine adds
REFS = LIBRARY.lesson_refs()
STYLES = {"mechanical", "visual", "everyday", "mathematical"}


def standard_problems(lesson, vocabulary):
    """What a shipped lesson lacks against the standard in docs/authoring.md."""
    problems = []
    for concept in lesson.concepts:
        where = concept.id
        analogies = concept.analogies
        if len(analogies) < 3:
            problems.append(f"{where}: {len(analogies)} analogies, fewer than 3")
        if len({a.styles[0] for a in analogies}) < 3:
            problems.append(f"{where}: analogies lead with fewer than 3 different styles")
        if not any(a.term in vocabulary for a in analogies):
            problems.append(f"{where}: no analogy is built on a shared vocabulary term")
        if len(concept.questions) < 2:
            problems.append(f"{where}: {len(concept.questions)} questions, fewer than 2")
        for question in concept.questions:
            at = f"{where}/{question.id}"
            if not question.misconceptions:
                problems.append(f"{at}: no misconception")
            if len(question.hints) < 2:
                problems.append(f"{at}: {len(question.hints)} hints, fewer than 2")
            labels = {s.label for s in question.samples}
            if len(question.samples) < 3 or labels != {"correct", "partial", "incorrect"}:
                problems.append(f"{at}: needs at least 3 samples covering correct, partial and incorrect")
    return problems


def grading_problems(lesson):
    """Every disagreement between a question's labels and the offline grader."""
    problems = []
    for concept in lesson.concepts:
        for question in concept.questions:
            at = f"{concept.id}/{question.id}"

            def verdict(text, question=question):
                return grade(question, text, lesson.synonyms).verdict

            if verdict(question.reference_answer) != "correct":
                problems.append(f"{at}: reference answer not graded correct")
            for sample in question.samples:
                if (got := verdict(sample.text)) != sample.label:
                    problems.append(f"{at}: sample labelled {sample.label} graded {got}: {sample.text!r}")
            for hint in question.hints:
                if verdict(hint) == "correct":
                    problems.append(f"{at}: hint states the answer: {hint!r}")
            for misconception in question.misconceptions:
                if misconception.example and verdict(misconception.example) != "incorrect":
                    problems.append(f"{at}: example of '{misconception.id}' not graded incorrect")
    return problems


def test_the_library_ships_seven_courses_of_five_lessons():
    courses = LIBRARY.courses()
    assert [c.id for c in courses.values()] == [
        "icl-vs-finetuning",
        "lora",
        "review-committees",
        "statistical-learning",
        "optimization",
        "deep-learning-theory",
        "vision-and-language",
    ]
    assert [c.number for c in courses.values()] == [1, 2, 3, 10, 11, 13, 14]
    assert all(len(c.lessons) == 5 for c in courses.values())
    assert courses["optimization"].prerequisites == ["statistical-learning"]
    assert courses["deep-learning-theory"].prerequisites == ["optimization"]
    assert courses["vision-and-language"].prerequisites == ["deep-learning-theory"]


def test_the_outlines_interludes_are_there():
    with_interlude = {ref for ref in REFS if any(c.interlude for c in LIBRARY.lesson(ref).concepts)}
    assert with_interlude == {
        "icl-vs-finetuning/trade-off",
        "icl-vs-finetuning/blurry-line",
        "lora/why-low-rank",
        "review-committees/orthogonality",
    }


def test_a_new_learner_starts_with_the_first_lesson_of_course_one():
    assert REFS[0] == "icl-vs-finetuning/what-llms-know"


@pytest.mark.parametrize("ref", REFS)
def test_lesson_meets_the_teaching_standard(ref):
    assert standard_problems(LIBRARY.lesson(ref), LIBRARY.vocabulary()) == []


@pytest.mark.parametrize("ref", REFS)
def test_rubrics_agree_with_their_own_samples(ref):
    assert grading_problems(LIBRARY.lesson(ref)) == []


def test_every_vocabulary_term_is_introduced_by_the_first_lesson_that_uses_it():
    vocabulary = LIBRARY.vocabulary()
    assert len(vocabulary) == 15
    first_use = {}
    for ref in REFS:  # in teaching order
        for concept in LIBRARY.lesson(ref).concepts:
            for analogy in concept.analogies:
                if analogy.term:
                    assert analogy.term in vocabulary, f"{ref}: {analogy.id}"
                    first_use.setdefault(analogy.term, ref)
    assert {term.id: term.introduced_in for term in vocabulary.values()} == first_use


def test_example_profiles_load(store):
    from pockettutor.utils.profiles import examples_dir

    names = [p.stem for p in examples_dir().glob("*.yaml")]
    assert "mechanical-engineer" in names
    for name in names:
        assert store.load_or_create(name).name == name
