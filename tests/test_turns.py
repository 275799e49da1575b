"""Reading a line before grading it (utils/turns.py), answering a question back
from the lesson (utils/lookup.py) and the way out for a stuck learner (utils/ladder.py)."""

import pytest

from pockettutor.utils.ladder import WRONG_ANSWERS_BEFORE_WORKED, next_step, worked_answer, wrong_answers_exhausted
from pockettutor.utils.lookup import look_up, subject_of
from pockettutor.utils.turns import lesson_words, read_turn


def read(text, states_something=False, words=("weights", "rank", "lora", "frozen", "torque")):
    return read_turn(text, set(words), lambda _: states_something)


@pytest.mark.parametrize(
    "text",
    [
        "I don't know",
        "idk",
        "No idea, sorry.",
        "help",
        "I'm stuck",
        "dunno",
        "i dont understand the question",
        "I give up",
        "not sure",
        "I don't know, maybe the weights?",
    ],
)
def test_not_knowing_is_read_as_such(text):
    assert read(text).kind == "dont_know"


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("say it again", "repeat"),
        ("Can you repeat the question?", "repeat"),
        ("shorter please", "shorter"),
        ("too long", "shorter"),
        ("give me an example", "example"),
        ("another analogy please", "example"),
        ("tell me more", "more"),
        ("go on", "more"),
    ],
)
def test_requests_are_read_as_requests(text, wanted):
    assert read(text) == read_turn(text, set(), lambda _: False)
    assert (read(text).kind, read(text).request) == ("request", wanted)


@pytest.mark.parametrize("text", ["asdfgh", "?", "??", "hmm", "lol", "qwe rty"])
def test_lines_with_no_words_are_unclear(text):
    assert read(text).kind == "unclear"


def test_a_question_back_is_a_question_only_when_it_states_nothing():
    assert read("what do you mean by low-rank?").kind == "question"
    assert read("what is rank").kind == "question"
    assert read("is it because the weights are frozen?", states_something=True).kind == "answer"


@pytest.mark.parametrize(
    "text",
    [
        "no",
        "yes",
        "the weights are frozen",
        "when one side is heavier",
        "what matters is the rank",
        "not sure but the weights stay frozen",
        # from the blind answers: long lines that open like questions, and a hedged guess
        "When you add a second adapter it overwrites the first one's weights, so you get the last one",
        "What is going on is that the learning rate was copied from a full fine-tuning script",
        "Not sure, but maybe the held-out set is just harder than the training set?",
    ],
)
def test_answers_stay_answers(text):
    assert read(text, states_something="frozen" in text).kind == "answer"


def test_lesson_words_cover_teaching_and_questions(demo_lesson):
    words = lesson_words(demo_lesson)
    assert {"torque", "pivot", "lever", "tipping"} <= words


def test_the_subject_of_a_question_back():
    assert subject_of("what do you mean by low rank?") == "low rank"
    assert subject_of("What does torque mean?") == "torque"
    assert subject_of("why would that be?") == "why would that be?"


def test_look_up_quotes_the_lesson_and_never_the_pending_answer(demo_lesson):
    torque, balance = demo_lesson.concepts
    glossary = look_up("what is a fulcrum?", demo_lesson, balance, balance.questions[0], {})
    assert glossary.found and glossary.text == "**pivot**: The fixed point a lever turns about."
    assert glossary.source == "the lesson's glossary"
    found = look_up("what do you mean by distance?", demo_lesson, balance, balance.questions[0], {})
    assert found.found and "Torque is force times distance from the pivot" in found.text
    assert found.source == torque.title
    # The only sentence about balancing states this question's answer.
    withheld = look_up("what does balance mean?", demo_lesson, balance, balance.questions[0], {})
    assert not withheld.found and withheld.withheld
    nothing = look_up("what is a banana?", demo_lesson, torque, torque.questions[0], {})
    assert not nothing.found and not nothing.withheld


def test_the_ladder_gives_hints_then_smaller_questions_then_a_worked_answer(demo_lesson):
    question = demo_lesson.concepts[0].questions[0]
    steps = [next_step(question, min(n, 2), max(0, n - 2)) for n in range(5)]
    assert [s.kind for s in steps] == ["hint", "hint", "smaller_question", "smaller_question", "worked"]
    assert steps[0].text == question.hints[0] and steps[1].number == 2
    # An idea already stated needs no smaller question.
    assert next_step(question, 2, 0, met=("product",)).text == question.key_ideas[1].probe
    assert next_step(question, 2, 1, met=("product",)).kind == "worked"


def test_wrong_answers_lead_to_a_worked_answer_after_the_limit(demo_lesson):
    assert not wrong_answers_exhausted(WRONG_ANSWERS_BEFORE_WORKED - 1)
    assert wrong_answers_exhausted(WRONG_ANSWERS_BEFORE_WORKED)
    text = worked_answer(demo_lesson.concepts[0].questions[0])
    assert "> Torque is force times distance, so a longer arm needs less force" in text
    assert "- torque is force times distance" in text and "- less force is needed for the same torque" in text


def test_only_a_strong_first_try_earns_a_stretch(demo_lesson):
    from pockettutor.utils.grading import Grade
    from pockettutor.utils.stretch import is_strong, stretch_for

    right = Grade("correct", met=("product", "less-force"))
    assert is_strong(right, attempts=1, hints_used=0)
    assert not is_strong(right, attempts=2, hints_used=0) and not is_strong(right, attempts=1, hints_used=1)
    assert not is_strong(Grade("correct", confidence="weak"), 1, 0) and not is_strong(Grade("partial"), 1, 0)
    torque = demo_lesson.concepts[0]
    assert stretch_for(torque, [], 1, wants_push=True).id == "door-handle"
    assert stretch_for(torque, [], 1, wants_push=False) is None
    assert stretch_for(torque, [], 3, wants_push=False).id == "door-handle"
    assert stretch_for(torque, ["torque/door-handle"], 3, wants_push=True) is None
