"""The shipped course library: it loads, and its rubrics grade their own samples right."""

import pytest

from utils.grading import grade
from utils.lessons import Library

LIBRARY = Library()
LESSONS = [(ref, LIBRARY.lesson(ref)) for ref in LIBRARY.lesson_refs()]
QUESTIONS = [
    (f"{ref}/{c.id}/{q.id}", lesson, q) for ref, lesson in LESSONS for c in lesson.concepts for q in c.questions
]


def test_the_library_ships_the_lora_mechanics_lesson():
    assert "lora/mechanics" in LIBRARY.lesson_refs()


@pytest.mark.parametrize("where, lesson, question", QUESTIONS, ids=[q[0] for q in QUESTIONS])
def test_rubric_agrees_with_itself(where, lesson, question):
    assert grade(question, question.reference_answer, lesson.synonyms).verdict == "correct"
    for sample in question.samples:
        assert grade(question, sample.text, lesson.synonyms).verdict == sample.label, sample.text
    for hint in question.hints:
        assert grade(question, hint, lesson.synonyms).verdict != "correct", hint


def test_analogies_refer_to_known_vocabulary_terms():
    vocabulary = LIBRARY.vocabulary()
    assert len(vocabulary) == 15
    for _, lesson in LESSONS:
        for concept in lesson.concepts:
            assert len(concept.analogies) >= 3
            for analogy in concept.analogies:
                assert analogy.term is None or analogy.term in vocabulary, analogy.id


def test_example_profiles_load(store):
    from utils.profiles import examples_dir

    names = [p.stem for p in examples_dir().glob("*.yaml")]
    assert "mechanical-engineer" in names
    for name in names:
        assert store.load_or_create(name).name == name
