import pytest

from utils.grading import Normaliser, grade, matches, reveals, stem, verdict_for


@pytest.fixture
def question(demo_lesson):
    return demo_lesson.concepts[0].questions[0]


def test_negation_blocks_a_match():
    n = Normaliser({"zero": ["0"]})
    assert matches(n.pattern("B is zero"), n.sentences("B starts at 0."))
    assert not matches(n.pattern("B is zero"), n.sentences("B is not zero."))
    assert not matches(n.pattern("B is zero"), n.sentences("B isn't zero at all"))
    assert matches(n.pattern("W does not change"), n.sentences("W never changes during training"))


def test_negation_ends_at_the_clause():
    n = Normaliser()
    sentences = n.sentences("A is not trained, but W is frozen")
    assert matches(n.pattern("W is frozen"), sentences)
    assert not matches(n.pattern("A is trained"), sentences)


def test_words_must_share_a_sentence():
    n = Normaliser()
    assert not matches(n.pattern("force distance"), n.sentences("Force matters. Distance too."))
    assert matches(n.pattern("force distance"), n.sentences("Distance and force matter."))


def test_stemming_folds_tenses_plurals_and_spellings():
    assert stem("merged") == stem("merging") == stem("merges") == stem("merge")
    assert stem("initialised") == stem("initialized")
    assert stem("weights") == stem("weight")
    assert stem("added") == stem("add")


def test_synonyms_map_multiword_variants():
    n = Normaliser({"frozen": ["kept fixed", "locked"]})
    assert matches(n.pattern("weights frozen"), n.sentences("the weights are kept fixed"))
    assert matches(n.pattern("weights frozen"), n.sentences("weights locked"))


def test_verdict_rule():
    assert verdict_for(["a", "b"], [], []) == "correct"
    assert verdict_for(["a"], ["b"], []) == "partial"
    assert verdict_for([], ["a", "b"], []) == "incorrect"
    assert verdict_for(["a", "b"], [], ["m"]) == "incorrect"


def test_grade_lists_ideas_met_and_missed(question):
    result = grade(question, "You need less force.", {"force": ["push"]})
    assert result.verdict == "partial"
    assert result.met == ("less-force",)
    assert result.missed == ("product",)


def test_misconception_makes_it_incorrect(question):
    result = grade(question, "Torque is force times distance, but a long lever needs more force.")
    assert result.verdict == "incorrect"
    assert result.misconceptions == ("more-force",)


def test_negated_misconception_is_not_held(question):
    result = grade(question, "Torque is force times distance, so it does not need more force; less force will do.")
    assert result.misconceptions == ()
    assert result.verdict == "correct"


def test_lesson_synonyms_apply(demo_lesson, question):
    # 'push' is a lesson-level synonym of 'force'
    assert grade(question, "a smaller push", demo_lesson.synonyms).met == ("less-force",)
    assert grade(question, "a smaller push").met == ()


def test_samples_in_fixture_grade_as_labelled(demo_lesson):
    for concept in demo_lesson.concepts:
        for q in concept.questions:
            for sample in q.samples:
                assert grade(q, sample.text, demo_lesson.synonyms).verdict == sample.label, sample.text


def test_reveals_detects_a_leaking_message(question):
    assert reveals(question, "Remember: torque is force times distance.")
    assert not reveals(question, "What two quantities does torque combine?")
    # an idea the learner already stated may be repeated back
    assert not reveals(question, "Yes, you need less force.", known=("less-force",))


def test_question_synonyms_add_to_the_lessons_under_the_same_word():
    from utils.lessons import Question

    question = Question.model_validate(
        {
            "id": "q",
            "prompt": "p",
            "reference_answer": "the weights stay frozen",
            "key_ideas": [{"id": "k", "description": "d", "phrasings": ["weights frozen"]}],
            "synonyms": {"frozen": ["locked"]},
        }
    )
    lesson_synonyms = {"frozen": ["fixed"]}
    assert grade(question, "the weights stay locked", lesson_synonyms).verdict == "correct"
    assert grade(question, "the weights stay fixed", lesson_synonyms).verdict == "correct"


def test_a_word_that_stems_onto_a_negator_stays_a_word():
    from utils.grading import Normaliser, stem

    assert stem("notes") == stem("note") == stem("noted") != "not"
    assert Normaliser().sentences("it reads the notes to write json") == [
        [(stem("read"), False), (stem("notes"), False), (stem("write"), False), ("json", False)]
    ]


def test_every_form_of_an_ise_word_stems_alike():
    from utils.grading import stem

    assert stem("raise") == stem("raising") == stem("raised") == stem("raises")
    assert stem("initialised") == stem("initialized") == stem("initialise")


def test_contractions_typed_without_an_apostrophe_still_negate():
    from utils.grading import Normaliser

    assert Normaliser().sentences("W doesnt change") == Normaliser().sentences("W doesn't change")
    assert Normaliser().sentences("it cant move") == Normaliser().sentences("it cannot move")


def test_an_arrow_ends_a_clause_and_with_it_a_negation():
    from utils.grading import Normaliser, stem

    [sentence] = Normaliser().sentences("not enough directions -> bias")
    assert (stem("bias"), False) in sentence and (stem("directions"), True) in sentence


def test_an_opening_no_that_answers_the_question_negates_nothing():
    from utils.grading import Normaliser, stem

    [sentence] = Normaliser().sentences("no it has a knowledge cutoff")
    assert (stem("cutoff"), False) in sentence
    [sentence] = Normaliser().sentences("no gradient reaches W")
    assert (stem("gradient"), True) in sentence


def test_a_synonym_that_swallows_not_leaves_the_rest_of_the_clause_negated():
    from utils.grading import Normaliser, stem

    normaliser = Normaliser({"frozen": ["not trained"], "uncached": ["no caching"]})
    [sentence] = normaliser.sentences("lora does not train the fewest parameters")
    assert ("frozen", False) in sentence and (stem("fewest"), True) in sentence
    [sentence] = normaliser.sentences("no caching means every token is processed")
    assert (stem("uncached"), False) in sentence and (stem("processed"), False) in sentence


def test_a_dash_between_words_ends_a_clause_a_hyphen_does_not():
    from utils.grading import Normaliser, stem

    [sentence] = Normaliser().sentences("they are not one more axis - they sit between axes")
    assert (stem("between"), False) in sentence
    [sentence] = Normaliser().sentences("it is not fine-tuned")
    assert (stem("tuned"), True) in sentence


def test_nowhere_near_negates():
    from utils.grading import Normaliser, stem

    [sentence] = Normaliser().sentences("20 examples is nowhere near enough")
    assert (stem("enough"), True) in sentence
