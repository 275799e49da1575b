import pytest

from pockettutor.utils.grading import Normaliser, grade, reveals, stem, verdict_for
from pockettutor.utils.lessons import Question


def matches(pattern, sentences):
    """The phrasing's words all occur in one statement."""
    return bool(pattern) and any(pattern <= set(sentence) for sentence in sentences)


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
    assert verdict_for(["a", "b"], [], ["m"]) == "partial"
    assert verdict_for(["a"], ["b"], ["m"]) == "incorrect"
    assert verdict_for(["a", "b"], [], [], ["a"]) == "incorrect"


def test_grade_lists_ideas_met_and_missed(question):
    result = grade(question, "You need less force.", {"force": ["push"]})
    assert result.verdict == "partial"
    assert result.met == ("less-force",)
    assert result.missed == ("product",)


def test_misconception_makes_it_incorrect(question):
    result = grade(question, "Torque is force times distance, but a long lever needs more force.")
    assert result.verdict == "incorrect"
    assert result.misconceptions == ("more-force",)


def test_a_right_answer_with_a_wrong_claim_beside_it_is_partly_there(question):
    result = grade(
        question, "Torque is force times distance, so you need less force. A long lever is also harder to lift."
    )
    assert (result.verdict, result.missed, result.misconceptions) == ("partial", (), ("more-force",))
    assert result.quote("misconception", "more-force") == "A long lever is also harder to lift"


def test_a_statement_making_a_wrong_claim_meets_no_idea(question):
    # "less force" and "harder to lift" in one statement: the wrong claim, not the idea.
    result = grade(question, "Torque is force times distance. With less force at the far end it is harder to lift.")
    assert result.verdict == "incorrect"
    assert "less-force" in result.missed


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
    from pockettutor.utils.lessons import Question

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
    from pockettutor.utils.grading import Normaliser, stem

    assert stem("notes") == stem("note") == stem("noted") != "not"
    assert Normaliser().sentences("it reads the notes to write json") == [
        [(stem("read"), False), (stem("notes"), False), (stem("write"), False), ("json", False)]
    ]


def test_every_form_of_an_ise_word_stems_alike():
    from pockettutor.utils.grading import stem

    assert stem("raise") == stem("raising") == stem("raised") == stem("raises")
    assert stem("initialised") == stem("initialized") == stem("initialise")


def test_contractions_typed_without_an_apostrophe_still_negate():
    from pockettutor.utils.grading import Normaliser

    assert Normaliser().sentences("W doesnt change") == Normaliser().sentences("W doesn't change")
    assert Normaliser().sentences("it cant move") == Normaliser().sentences("it cannot move")


def test_an_arrow_ends_a_clause_and_with_it_a_negation():
    from pockettutor.utils.grading import Normaliser, stem

    [sentence] = Normaliser().sentences("not enough directions -> bias")
    assert (stem("bias"), False) in sentence and (stem("directions"), True) in sentence


def test_an_opening_no_that_answers_the_question_negates_nothing():
    from pockettutor.utils.grading import Normaliser, stem

    [sentence] = Normaliser().sentences("no it has a knowledge cutoff")
    assert (stem("cutoff"), False) in sentence
    [sentence] = Normaliser().sentences("no gradient reaches W")
    assert (stem("gradient"), True) in sentence


def test_a_synonym_that_swallows_not_leaves_the_rest_of_the_clause_negated():
    from pockettutor.utils.grading import Normaliser, stem

    normaliser = Normaliser({"frozen": ["not trained"], "uncached": ["no caching"]})
    [sentence] = normaliser.sentences("lora does not train the fewest parameters")
    assert ("frozen", False) in sentence and (stem("fewest"), True) in sentence
    [sentence] = normaliser.sentences("no caching means every token is processed")
    assert (stem("uncached"), False) in sentence and (stem("processed"), False) in sentence


def test_a_dash_between_words_ends_a_clause_a_hyphen_does_not():
    from pockettutor.utils.grading import Normaliser, stem

    first, second = Normaliser().sentences("they are not one more axis - they sit between axes")
    assert (stem("between"), False) in second and (stem("axis"), True) in first
    [sentence] = Normaliser().sentences("it is not fine-tuned")
    assert (stem("tuned"), True) in sentence


def test_nowhere_near_negates():
    from pockettutor.utils.grading import Normaliser, stem

    [sentence] = Normaliser().sentences("20 examples is nowhere near enough")
    assert (stem("enough"), True) in sentence


def question_with(key_ideas, misconceptions=(), prompt="Which one?", **fields):
    return Question.model_validate(
        {
            "id": "q",
            "prompt": prompt,
            "reference_answer": "r",
            "key_ideas": [{"id": f"k{i}", "description": f"idea {i}", "phrasings": p} for i, p in enumerate(key_ideas)],
            "misconceptions": [
                {"id": f"m{i}", "description": f"belief {i}", "phrasings": p, "remedy": "Think again."}
                for i, p in enumerate(misconceptions)
            ],
            **fields,
        }
    )


@pytest.mark.parametrize("mark", [";", ":", " - ", " – ", " whereas", " while"])
def test_a_negation_ends_at_its_clause(mark):
    [*statements] = Normaliser().sentences(f"the adapter is not merged{mark} the base weights change")
    words = {pair for statement in statements for pair in statement}
    assert (stem("merged"), True) in words and (stem("change"), False) in words


@pytest.mark.parametrize("mark", [";", " - ", " whereas", " while", " but"])
def test_a_phrasing_never_borrows_words_across_a_statement_break(mark):
    question = question_with([["small lambda forgets"]])
    assert grade(question, f"a small lambda keeps things{mark} everything forgets").verdict == "incorrect"
    assert grade(question, "with a small lambda it forgets, because nothing holds it").verdict == "correct"


def test_hardly_negates_and_is_not_hard():
    [sentence] = Normaliser().sentences("it hardly learns")
    assert (stem("learns"), True) in sentence
    assert stem("hardly") != stem("hard")


def test_irregular_plurals_and_snowball_stems():
    assert stem("matrices") == stem("matrix")
    assert stem("generalization") == stem("generalizes") == stem("generalises")


def test_typos_of_long_content_words_are_read_as_the_rubric_word():
    question = question_with([["input passes through frozen"]], prompt="What happens to x?")
    assert grade(question, "The input still passes through W, which stays frozen.").verdict == "correct"
    assert grade(question, "The inptu still pases through W, which stays frozzen.").verdict == "correct"
    # a different first letter, or two edits in a short word, is not a typo of it
    assert grade(question, "The input still passes through W, which stays brozen.").verdict == "incorrect"
    assert grade(question, "The input still passes through W, which stays fozzin.").verdict == "incorrect"


def test_a_short_word_with_one_changed_letter_is_another_word_not_a_typo():
    question = question_with([["prices go stale"]], prompt="Why not fine-tune the prices in?")
    assert grade(question, "the prices go stael").verdict == "correct"  # swapped letters: a typo
    assert grade(question, "the prices go to scale").verdict == "incorrect"  # scale is not stale
    long_word = question_with([["gradient through quantized"]], prompt="Why does it work?")
    assert grade(long_word, "the gradiant flows through the quantized weights").verdict == "correct"


def test_a_comparison_word_is_never_read_as_a_typo_of_its_opposite():
    question = question_with([["maximizes reward"]], prompt="What does it do?")
    assert grade(question, "it minimizes reward").verdict == "incorrect"


def test_a_reversed_comparison_counts_against_the_idea():
    question = question_with([["large lambda forgets less"]], prompt="What does lambda do?")
    assert grade(question, "a large lambda forgets less").verdict == "correct"
    # two flips state the same relation
    assert grade(question, "with a small lambda it forgets more").verdict == "correct"
    reversed_ = grade(question, "a large lambda forgets more")
    assert reversed_.verdict == "incorrect" and reversed_.reversed == ("k0",)
    assert reversed_.quote("reversed", "k0") == "a large lambda forgets more"
    # negating a comparison word states its opposite
    assert grade(question, "with a large lambda it forgets no more").verdict == "correct"


def test_swapped_roles_count_against_the_idea():
    question = question_with(
        [["teamq guarantee"], ["penalty approximate"]],
        prompt="Team P adds a penalty, Team Q projects. Which can promise zero overlap?",
        roles=[["teamp", "teamq"]],
        synonyms={"teamq": ["team q"], "teamp": ["team p"]},
    )
    right = grade(
        question,
        "Team Q can guarantee it; the penalty is only approximate, "
        "a soft pull the optimiser trades off against task loss.",
    )
    assert right.verdict == "correct" and right.confidence == "strong"
    swapped = grade(question, "Team P can guarantee it; the penalty is only approximate.")
    assert swapped.verdict == "incorrect" and swapped.reversed == ("k0",)
    assert swapped.confidence == "mixed"  # one idea stated, another reversed


def test_than_orders_a_comparison():
    question = question_with([["w larger than ba"]], prompt="Compare them.")
    assert grade(question, "W is far larger than BA").verdict == "correct"
    assert grade(question, "BA is smaller than W").verdict == "correct"
    assert grade(question, "BA is larger than W").verdict == "incorrect"
    assert grade(question, "BA is larger than W").reversed == ("k0",)


def test_prompt_words_count_for_nothing_on_their_own():
    question = question_with(
        [["training loss falls validation loss rises"]],
        prompt="Training loss falls while validation loss rises. What is going on?",
    )
    assert grade(question, "training loss falls and validation loss rises").verdict == "incorrect"
    assert (
        grade(question, "training loss falls and validation loss rises because it memorises noise").verdict == "correct"
    )


def test_a_misconception_beside_met_ideas_is_mixed_evidence_with_its_quote():
    question = question_with([["weights frozen"]], [["more epochs"]], prompt="Why?")
    result = grade(question, "The weights are frozen. With more epochs it would fix itself.")
    assert result.verdict == "partial" and result.confidence == "mixed"
    assert result.quote("misconception", "m0") == "With more epochs it would fix itself"
    assert result.quote("idea", "k0") == "The weights are frozen"


def test_a_correct_verdict_on_few_words_of_the_learners_own_is_weak_evidence():
    question = question_with([["rank small"]], prompt="What does the rank do?")
    assert grade(question, "a small rank").confidence == "weak"
    long_answer = "a small rank keeps the update cheap, trains quickly and leaves little room to memorise noise"
    assert grade(question, long_answer).confidence == "strong"


def test_superscript_digits_read_as_a_power():
    from pockettutor.utils.words import raw_words

    assert raw_words("a Hessian of 10¹⁸ entries") == raw_words("a Hessian of 10^18 entries")
    assert raw_words("σ² grows") == ["σ", "^", "2", "grows"]


def test_a_square_root_sign_reads_as_sqrt():
    from pockettutor.utils.words import raw_words

    assert raw_words("the gap shrinks by √2") == raw_words("the gap shrinks by sqrt 2")


def test_wont_typed_without_its_apostrophe_is_a_negation():
    from pockettutor.utils.words import raw_words

    assert raw_words("p wont be near 2") == raw_words("p won't be near 2") == ["p", "will", "not", "be", "near", "2"]
