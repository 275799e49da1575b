"""The tutoring graph. See docs/design.md for the diagram and the shared store."""

from pocketflow import Flow

from pockettutor.nodes import (
    Advance,
    AnotherAnalogy,
    AnswerQuestion,
    AskQuestion,
    Challenge,
    Confirm,
    Disagree,
    DontKnow,
    EndSession,
    Explain,
    GradeAnswer,
    Hint,
    LessonComplete,
    LoadLesson,
    More,
    Probe,
    QuizAsk,
    QuizEnd,
    QuizGrade,
    QuizNext,
    QuizReport,
    Recap,
    ReExplain,
    ShowHelp,
    ShowProgress,
    Unclear,
    Why,
    WorkedAnswer,
)


def create_tutor_flow():
    """A fresh graph for one session. A node whose LLM call fails falls back to the
    offline engine at once: the LLM seam has already retried what was worth retrying
    within the call's one deadline (utils/call_llm.py)."""
    load = LoadLesson()
    explain = Explain()
    ask = AskQuestion()
    grade = GradeAnswer()
    confirm = Confirm()
    challenge = Challenge()
    why = Why()
    disagree = Disagree()
    probe = Probe()
    reexplain = ReExplain()
    another = AnotherAnalogy()
    hint = Hint()
    dont_know = DontKnow()
    answer_question = AnswerQuestion()
    unclear = Unclear()
    recap = Recap()
    more = More()
    worked = WorkedAnswer()
    advance = Advance()
    progress = ShowProgress()
    helper = ShowHelp()
    complete = LessonComplete()
    end = EndSession()

    load - "explain" >> explain
    load - "resume" >> ask
    explain - "ask" >> ask

    ask - "answer" >> grade
    ask - "hint" >> hint
    ask - "analogy" >> another
    ask - "skip" >> worked
    ask - "dont_know" >> dont_know
    ask - "question" >> answer_question
    ask - "unclear" >> unclear
    ask - "recap" >> recap
    ask - "more" >> more
    ask - "progress" >> progress
    ask - "help" >> helper
    ask - "why" >> why
    ask - "disagree" >> disagree
    ask - "quit" >> end

    grade - "correct" >> challenge
    challenge - "advance" >> advance
    challenge - "quit" >> end
    grade - "partial" >> probe
    grade - "incorrect" >> reexplain
    grade - "confirm" >> confirm

    probe - "ask" >> ask
    reexplain - "ask" >> ask
    reexplain - "worked" >> worked
    dont_know - "ask" >> ask
    dont_know - "worked" >> worked
    answer_question - "ask" >> ask
    unclear - "ask" >> ask
    recap - "ask" >> ask
    more - "ask" >> ask
    worked - "next" >> advance
    another - "ask" >> ask
    hint - "ask" >> ask
    progress - "ask" >> ask
    helper - "ask" >> ask
    confirm - "ask" >> ask
    why - "ask" >> ask
    disagree - "ask" >> ask

    advance - "next_question" >> ask
    advance - "next_concept" >> explain
    advance - "complete" >> complete
    complete - "end" >> end
    return Flow(start=load)


def create_quiz_flow():
    """A fresh graph for a set of questions outside a lesson: `tutor review`
    and `tutor exam`. No hints or pictures; each answer is graded, recorded in
    mastery and the review schedule; a report ends it."""
    next_question = QuizNext()
    ask = QuizAsk()
    grade = QuizGrade()
    report = QuizReport()
    end = QuizEnd()

    next_question - "ask" >> ask
    next_question - "report" >> report
    ask - "answer" >> grade
    ask - "next" >> next_question
    ask - "again" >> ask
    grade - "next" >> next_question
    report - "end" >> end
    return Flow(start=next_question)
