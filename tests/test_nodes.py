"""Each node alone, unwired: prep/exec/post against a shared store."""

import pytest
from conftest import an_analogy

from pockettutor import nodes
from pockettutor.utils.session import new_store, new_turn
from pockettutor.utils.teachers import OfflineTeacher
from pockettutor.utils.turns import lesson_words


@pytest.fixture
def shared(make_console, demo_library, store, profile):
    def build(replies=()):
        console = make_console(replies)
        data = new_store(
            console, OfflineTeacher(), demo_library, store, profile, "demo/levers", demo_library.vocabulary()
        )
        data["lesson"] = demo_library.lesson("demo/levers")
        data["lesson_words"] = lesson_words(data["lesson"])
        return data

    return build


def test_load_lesson_starts_a_new_learner_at_the_explanation(shared):
    data = shared()
    data["lesson"] = None
    assert nodes.LoadLesson().run(data) == "explain"
    assert data["lesson"].id == "levers"
    assert data["position"] == {"concept": 0, "question": 0}
    assert "Engine: offline engine" in data["console"].text


def test_load_lesson_resumes_an_explained_concept(shared, profile):
    progress = profile.progress("demo/levers")
    progress.concept, progress.question, progress.explained = "balance", "balance-when", True
    data = shared()
    assert nodes.LoadLesson().run(data) == "resume"
    assert data["position"] == {"concept": 1, "question": 0}
    assert "Welcome back" in data["console"].text


def test_explain_shows_the_analogy_fitting_the_learner_style(shared, profile, store):
    data = shared()
    assert nodes.Explain().run(data) == "ask"
    # the profile is mechanical: the wrench (first style mechanical) beats the door (everyday), authored first
    event = data["transcript"][-1]
    assert (event["event"], event["concept"], event["analogy"]) == ("explain", "torque", "wrench")
    assert "longer wrench" in event["text"] and event["title"] == "Concept 1/2: Torque"
    assert "longer wrench" in data["console"].text
    assert store.load_or_create("tester").progress("demo/levers").explained is True


def test_explain_skips_an_analogy_that_failed_this_learner(shared, profile):
    profile.record_analogy("demo/levers", "torque", an_analogy("wrench"))
    profile.record_outcome("demo/levers", "torque", "incorrect")
    data = shared()
    nodes.Explain().run(data)
    assert data["transcript"][-1]["analogy"] != "wrench"


@pytest.mark.parametrize(
    "reply, action",
    [
        ("because", "answer"),
        ("/hint", "hint"),
        ("/analogy", "analogy"),
        ("/skip", "skip"),
        ("/progress", "progress"),
        ("/help", "help"),
        ("/quit", "quit"),
        ("/bogus", "help"),
    ],
)
def test_ask_question_routes_replies(shared, reply, action):
    data = shared([reply])
    assert nodes.AskQuestion().run(data) == action
    assert "Why does a longer lever" in data["console"].text


def test_ask_question_on_eof_quits_and_says_so(shared):
    data = shared([])
    assert nodes.AskQuestion().run(data) == "quit"
    assert data["outcome"] == "eof"


def test_ask_question_skips_blank_lines(shared):
    data = shared(["", "   ", "less force"])
    assert nodes.AskQuestion().run(data) == "answer"
    assert data["turn"]["answer"] == "less force"


def test_a_reply_to_a_probe_adds_to_the_answer(shared):
    data = shared(["force times distance"])
    data["turn"].update(answer="less force", probe="What two quantities?")
    nodes.AskQuestion().run(data)
    assert data["turn"]["answer"] == "less force\nforce times distance"
    assert "Why does a longer lever" not in data["console"].text


@pytest.mark.parametrize(
    "answer, verdict",
    [
        ("Torque is force times distance, so less force.", "correct"),
        ("less force", "partial"),
        ("no idea", "incorrect"),
    ],
)
def test_grade_answer_returns_the_verdict(shared, answer, verdict):
    data = shared()
    data["turn"]["answer"] = answer
    assert nodes.GradeAnswer().run(data) == verdict
    assert data["transcript"][-1]["verdict"] == verdict


def test_third_partial_is_re_explained_not_probed_again(shared):
    data = shared()
    data["turn"].update(answer="less force", probes=2)
    assert nodes.GradeAnswer().run(data) == "incorrect"


def test_probe_asks_about_the_missing_idea(shared):
    data = shared()
    data["turn"]["answer"] = "less force"
    nodes.GradeAnswer().run(data)
    assert nodes.Probe().run(data) == "ask"
    assert "What two quantities does torque combine?" in data["console"].text
    assert data["turn"]["probe"] is not None


def test_re_explain_uses_a_new_analogy_and_the_remedy(shared, profile):
    data = shared()
    nodes.Explain().run(data)
    data["turn"]["answer"] = "a long lever needs more force"
    assert nodes.GradeAnswer().run(data) == "incorrect"
    assert nodes.ReExplain().run(data) == "ask"
    shown = [e["analogy"] for e in data["transcript"] if e["event"] in ("explain", "reexplain")]
    assert shown[0] != shown[1]
    assert "which spot needs the least push" in data["console"].text
    assert profile.failed_analogies("demo/levers", "torque") == {shown[0]}


def test_re_explain_with_no_analogies_left_never_repeats_the_lecture(shared, profile):
    for analogy in ("door", "wrench", "seesaw"):
        profile.record_analogy("demo/levers", "torque", an_analogy(analogy))
        profile.record_outcome("demo/levers", "torque", "incorrect")
    data = shared()
    data["turn"]["answer"] = "a long lever needs more force"
    assert nodes.GradeAnswer().run(data) == "incorrect"
    assert nodes.ReExplain().run(data) == "ask"
    assert "Torque is force times distance from the pivot" not in data["console"].text
    assert "which spot needs the least push" in data["console"].text
    assert data["transcript"][-1]["analogy"] is None


def test_the_third_wrong_answer_leads_to_a_worked_answer_then_the_next_question(shared):
    data = shared()
    nodes.Explain().run(data)
    for wrong in range(1, 4):
        data["turn"]["answer"] = "a long lever needs more force"
        assert nodes.GradeAnswer().run(data) == "incorrect"
        assert nodes.ReExplain().run(data) == ("worked" if wrong == 3 else "ask")
    assert nodes.WorkedAnswer().run(data) == "next"
    text = data["console"].text
    assert "Here is one good answer" in text and "a longer arm needs less force" in text
    assert nodes.Advance().run(data) == "next_concept"
    assert data["transcript"][-2]["event"] == "worked" and data["transcript"][-1]["worked"] is True


@pytest.mark.parametrize(
    ("reply", "action"),
    [
        ("I don't know", "dont_know"),
        ("no idea, sorry", "dont_know"),
        ("what do you mean by torque?", "question"),
        ("asdfgh", "unclear"),
        ("say it again", "recap"),
        ("tell me more", "more"),
        ("give me an example", "analogy"),
        ("is it because torque is force times distance?", "answer"),
        ("no", "answer"),
    ],
)
def test_a_line_is_read_before_it_is_graded(shared, reply, action):
    data = shared([reply])
    assert nodes.AskQuestion().run(data) == action
    graded = action == "answer"
    assert (data["turn"]["answer"] != "") == graded
    assert data["transcript"][-1]["event"] == ("answer" if graded else "said")


def test_i_dont_know_climbs_hints_then_smaller_questions_then_a_worked_answer(shared, profile):
    data = shared()
    nodes.Explain().run(data)
    steps = [nodes.DontKnow().run(data) for _ in range(5)]
    assert steps == ["ask", "ask", "ask", "ask", "worked"]
    text = data["console"].text
    assert "Hint 1/2" in text and "Hint 2/2" in text and "Not yet" not in text
    assert "What two quantities does torque combine?" in text
    assert "If the distance grows, what happens to the force you need?" in text
    # Evidence of not knowing yet, but no picture is retired by it.
    assert profile.mastery["demo/levers/torque"] < 0.2
    assert profile.failed_analogies("demo/levers", "torque") == set()


def test_a_question_back_is_answered_from_the_lesson_without_the_answer(shared):
    data = shared(["what is balance?"])
    data["position"] = {"concept": 1, "question": 0}
    assert nodes.AskQuestion().run(data) == "question"
    assert nodes.AnswerQuestion().run(data) == "ask"
    text = data["console"].text
    assert "From the lesson" not in text  # the only sentence about it states this question's answer
    assert "would give this question away" in text
    assert data["turn"]["helps"] == 1 and data["turn"]["attempts"] == 0


def test_recap_shows_where_the_learner_is_and_the_core(shared):
    data = shared()
    data["position"] = {"concept": 1, "question": 0}
    assert nodes.Recap().run(data) == "ask"
    text = data["console"].text
    assert "Concept 2 of 2" in text and "A lever stops tipping when what turns it one way" in text
    assert data["turn"]["question_shown"] is False


def test_hint_ladder_then_runs_out(shared):
    data = shared()
    for _ in range(3):
        assert nodes.Hint().run(data) == "ask"
    text = data["console"].text
    assert "Hint 1/2" in text and "Hint 2/2" in text and "No more hints" in text
    assert data["turn"]["hints_used"] == 2


def test_advance_moves_through_questions_concepts_and_the_end(shared):
    data = shared()
    assert nodes.Advance().run(data) == "next_concept"
    assert data["position"] == {"concept": 1, "question": 0}
    assert nodes.Advance().run(data) == "complete"
    assert data["profile"].progress("demo/levers").status == "complete"


def test_skip_is_recorded(shared):
    data = shared()
    data["console"] = type(data["console"])(["/skip"])
    assert nodes.AskQuestion().run(data) == "skip"
    nodes.Advance().run(data)
    assert data["profile"].progress("demo/levers").skipped == ["torque/why-long"]


def test_progress_help_complete_and_end(shared):
    data = shared()
    assert nodes.ShowProgress().run(data) == "ask"
    assert "question 1/1" in data["console"].text and "Reviews due: 0 · streak: 0 days" in data["console"].text
    data["turn"]["unknown_command"] = "/bogus"
    assert nodes.ShowHelp().run(data) == "ask"
    assert "`/bogus` is not a command" in data["console"].text or "/bogus is not a command" in data["console"].text
    assert nodes.LessonComplete().run(data) == "end"
    assert data["outcome"] == "complete"
    assert nodes.EndSession().run(data) is None
    assert data["transcript"][-1] == {"event": "end", "outcome": "complete"}


def test_nodes_keep_no_state_on_self(shared):
    """Nodes are copied on every visit: everything must live in the shared store."""
    data = shared(["less force"])
    node = nodes.AskQuestion()
    before = dict(vars(node))
    node.run(data)
    after = {k: v for k, v in vars(node).items() if k != "cur_retry"}
    assert after == before
    assert new_turn()["answer"] == ""


def test_next_lesson_follows_library_order_and_skips_finished_ones(profile):
    from pockettutor.utils.session import next_lesson

    refs = ["a/one", "a/two", "b/three"]
    assert next_lesson(refs, profile, None) == "a/one"
    assert next_lesson(refs, profile, "a/one") == "a/two"
    profile.progress("a/two").status = "complete"
    assert next_lesson(refs, profile, "a/one") == "b/three"
    profile.progress("b/three").status = "complete"
    assert next_lesson(refs, profile, "b/three") == "a/one"  # wraps round to what is left
    profile.progress("a/one").status = "complete"
    assert next_lesson(refs, profile, "a/one") is None


def test_lesson_summary_names_the_next_lesson(demo_library):
    from pockettutor.utils.session import lesson_summary

    lesson = demo_library.lesson("demo/levers")
    assert "Next: **Pulleys**" in lesson_summary(lesson, [], "Pulleys")
    assert "Next:" not in lesson_summary(lesson, [])


def test_an_interlude_is_titled_as_one(make_console, store, profile):
    from pockettutor.utils.lessons import Library
    from pockettutor.utils.session import lesson_summary

    library = Library()
    lesson = library.lesson("lora/why-low-rank")
    [interlude] = [c for c in lesson.concepts if c.interlude]
    data = new_store(make_console([]), OfflineTeacher(), library, store, profile, "lora/why-low-rank", {})
    data["lesson"] = lesson
    index = lesson.concepts.index(interlude)
    data["position"] = {"concept": index, "question": 0}
    nodes.Explain().run(data)
    assert f"Interlude {index + 1}/{len(lesson.concepts)}: {interlude.title}" in data["console"].text
    assert f"- Interlude: {interlude.title}" in lesson_summary(lesson, [])


def test_style_shift_needs_three_successes_and_a_clear_margin(profile):
    from pockettutor.utils.analogies import style_shift

    def outcome(analogy_id, style, verdict):
        profile.record_analogy("l", analogy_id, an_analogy(analogy_id, style))
        profile.record_outcome("l", analogy_id, verdict)

    outcome("a", "mechanical", "correct")
    outcome("b", "visual", "correct")
    outcome("c", "visual", "correct")
    assert style_shift(profile.style_counts(), "mechanical") is None  # visual: only 2 successes
    outcome("d", "visual", "correct")
    assert style_shift(profile.style_counts(), "mechanical") is None  # 3/3 against 1/1: no margin
    outcome("e", "mechanical", "incorrect")
    outcome("f", "mechanical", "incorrect")
    shift = style_shift(profile.style_counts(), "mechanical")
    assert shift == ("visual", "3 of 3 visual analogies led to a right answer")
    assert style_shift(profile.style_counts(), "visual") is None


def test_grading_announces_and_records_a_style_change(shared, profile):
    for concept, style, verdict in [("x", "visual", "correct")] * 3 + [("y", "mechanical", "incorrect")]:
        profile.record_analogy("demo/levers", concept, an_analogy(f"{concept}-{style}", style))
        profile.record_outcome("demo/levers", concept, verdict)
    data = shared(["Torque is force times distance, so less force."])
    data["turn"]["answer"] = "Torque is force times distance, so less force."
    nodes.GradeAnswer().run(data)
    assert profile.thinking_style == "visual"
    [change] = profile.style_changes
    assert (change.previous, change.chosen) == ("mechanical", "visual") and "3 of 3 visual" in change.reason
    assert "Adjusting to your style" in data["console"].text
    assert {"event": "style", "from": "mechanical", "to": "visual"} in data["transcript"]


def test_a_shared_picture_that_worked_before_is_brought_back(shared, profile):
    profile.thinking_style = "visual"  # by style alone the seesaw would come first
    profile.record_analogy("demo/other", "gears", an_analogy("crowbar", "mechanical", term="lever"))
    profile.record_outcome("demo/other", "gears", "correct")
    data = shared()
    nodes.Explain().run(data)
    assert data["transcript"][-1]["analogy"] == "wrench"  # the torque analogy built on the same term
    assert "Remember the Lever?" in data["console"].text


def test_a_learner_who_asked_for_short_explanations_reads_the_core(shared, profile):
    profile.preferences = ["Short explanations please"]
    data = shared()
    nodes.Explain().run(data)
    text = " ".join(data["console"].text.split())
    assert "Torque measures how hard a force turns something" in text and "/more" in text
    assert "Torque is force times distance from the pivot" not in text
    profile.preferences = []
    data = shared()
    nodes.Explain().run(data)
    text = " ".join(data["console"].text.split())
    assert "In short: Torque measures how hard" in text and "Torque is force times distance from the pivot" in text


def test_another_analogy_during_a_follow_up_keeps_it(shared):
    data = shared()
    nodes.Explain().run(data)
    data["turn"].update(answer="less force", probe="What two quantities does torque combine?")
    assert nodes.AnotherAnalogy().run(data) == "ask"
    assert data["turn"]["probe"] == "What two quantities does torque combine?"
    assert data["turn"]["answer"] == "less force"


def test_progress_names_the_analogies_that_worked(shared, profile):
    profile.record_analogy("demo/levers", "torque", an_analogy("wrench", term="lever"))
    profile.record_outcome("demo/levers", "torque", "correct")
    data = shared()
    nodes.ShowProgress().run(data)
    assert "The Lever" in data["console"].text and "wrench" not in data["console"].text


def test_a_struggling_session_does_not_read_as_mastery(make_console, demo_library, store, profile):
    from pockettutor.main import run_session

    replies = [
        "a long lever needs more force",  # wrong
        "what do you mean by pivot?",  # a question back
        "I don't know",
        "asdfgh",
        "/hint",
        "/hint",
        "Torque is force times distance, so a longer arm needs less force.",  # right, at last
        "/quit",
    ]
    shared = run_session(make_console(replies), OfflineTeacher(), demo_library, store, profile, "demo/levers")
    assert [e["verdict"] for e in shared["transcript"] if e["event"] == "grade"] == ["incorrect", "correct"]
    assert profile.mastery["demo/levers/torque"] < 0.5


def test_a_learner_who_asked_to_be_pushed_gets_a_stretch_question_after_a_strong_answer(shared, profile):
    profile.preferences = ["push me, I like a challenge"]
    data = shared(["Because the handle's long arm needs less force for the same torque."])
    nodes.Explain().run(data)
    data["turn"]["answer"] = "Torque is force times distance, so a longer arm needs less force."
    assert nodes.GradeAnswer().run(data) == "correct"
    data["turn"]["attempts"] = 1
    assert nodes.Challenge().run(data) == "advance"
    text = " ".join(data["console"].text.split())
    assert "Push further" in text and "Why are door handles put on the side away from the hinges?" in text
    assert "How a strong answer goes" in text and "gives the push the longest arm" in text
    assert [e["event"] for e in data["transcript"]][-2:] == ["stretch", "stretch_answer"]
    assert data["stretched"] == ["torque/door-handle"] and data["strong_answers"] == 1
    # Asked once: the next strong answer on this concept goes straight on.
    assert nodes.Challenge().run(data) == "advance"
    assert data["stretched"] == ["torque/door-handle"]


def test_without_asking_to_be_pushed_every_third_strong_answer_earns_a_stretch(shared):
    data = shared(["/skip"])
    nodes.Explain().run(data)
    data["turn"]["answer"] = "Torque is force times distance, so a longer arm needs less force."
    nodes.GradeAnswer().run(data)
    actions = [nodes.Challenge().run(data) for _ in range(3)]
    assert actions == ["advance"] * 3 and data["strong_answers"] == 3
    assert data["stretched"] == ["torque/door-handle"] and "Push further" in data["console"].text
    assert [e["event"] for e in data["transcript"]].count("stretch_answer") == 0  # passed with /skip


def test_the_lesson_summary_counts_the_questions_of_this_session_only(demo_lesson):
    from pockettutor.utils.session import lesson_summary

    # Resumed at the last question: this session met one of the lesson's two questions.
    transcript = [
        {"event": "grade", "question": "balance-when", "attempt": 1, "verdict": "correct"},
        {"event": "advance", "from": "balance/balance-when", "to": "complete", "skipped": False},
    ]
    assert "right at the first try this session: 1 of 1;" in lesson_summary(demo_lesson, transcript)


def test_a_review_asked_in_place_of_another_answers_both_reviews(make_console, demo_library, store, profile):
    from pockettutor.utils.quiz import Item
    from pockettutor.utils.session import new_quiz_store

    item = Item("demo/levers", "torque", "why-long", review_of="an-older-question")
    data = new_quiz_store(make_console([]), OfflineTeacher(), demo_library, store, profile, "review", [item])
    question = demo_library.lesson("demo/levers").concept("torque").question("why-long")
    data["quiz"]["current"] = {
        "lesson": demo_library.lesson("demo/levers"),
        "question": question,
        "answer": "Torque is force times distance, so a longer arm needs less force.",
    }
    assert nodes.QuizGrade().run(data) == "next"
    assert set(profile.reviews) == {"demo/levers/torque/why-long", "demo/levers/torque/an-older-question"}


def test_a_pasted_document_is_read_only_up_to_the_bound(shared):
    from pockettutor.utils.turns import MAX_ANSWER_CHARS

    data = shared(["torque is force times distance " * 1000])
    assert nodes.AskQuestion().run(data) == "answer"
    assert len(data["turn"]["answer"]) == MAX_ANSWER_CHARS
    assert "That answer is long" in data["console"].text
    assert len(data["transcript"][-1]["text"]) == MAX_ANSWER_CHARS
