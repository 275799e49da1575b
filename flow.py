"""The tutoring graph. See docs/design.md for the diagram and the shared store."""

from pocketflow import Flow

from nodes import (
    Advance,
    AnotherAnalogy,
    AskQuestion,
    EndSession,
    Explain,
    GradeAnswer,
    Hint,
    LessonComplete,
    LoadLesson,
    Probe,
    ReExplain,
    ShowHelp,
    ShowProgress,
)


def create_tutor_flow(llm_retries=2, retry_wait=0.5):
    """A fresh graph for one session. Nodes that may call an LLM retry
    `llm_retries` times, `retry_wait` seconds apart, then fall back offline."""
    retrying = {"max_retries": llm_retries, "wait": retry_wait}
    load = LoadLesson()
    explain = Explain(**retrying)
    ask = AskQuestion()
    grade = GradeAnswer(**retrying)
    probe = Probe(**retrying)
    reexplain = ReExplain(**retrying)
    another = AnotherAnalogy(**retrying)
    hint = Hint()
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
    ask - "skip" >> advance
    ask - "progress" >> progress
    ask - "help" >> helper
    ask - "quit" >> end

    grade - "correct" >> advance
    grade - "partial" >> probe
    grade - "incorrect" >> reexplain

    probe - "ask" >> ask
    reexplain - "ask" >> ask
    another - "ask" >> ask
    hint - "ask" >> ask
    progress - "ask" >> ask
    helper - "ask" >> ask

    advance - "next_question" >> ask
    advance - "next_concept" >> explain
    advance - "complete" >> complete
    complete - "end" >> end
    return Flow(start=load)
