"""Scripted sessions: the learner's turns, and with the LLM engine the LLM's
replies, come from a YAML script, so a whole session is deterministic.

`tutor replay SCRIPT` runs one; `--check` compares what happened with the
script's expectations. The format is documented in docs/replay-format.md.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pockettutor.utils.lessons import parse_model
from pockettutor.utils.profiles import Profile
from pockettutor.utils.session import current


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LLMFault(Strict):
    fail: str = Field(description="the LLM call raises an error with this message")


class Expectations(Strict):
    verdicts: list[Literal["correct", "partial", "incorrect"]] | None = None
    analogies: list[str | None] | None = Field(None, description="ids of the analogies shown, in order")
    ended: Literal["complete", "quit", "eof"] | None = None
    at: str | None = Field(None, description="CONCEPT/QUESTION where the session stopped")
    engines: list[Literal["offline", "llm"]] | None = Field(None, description="which engine graded each answer")
    style_changes: list[str] | None = Field(None, description='style changes the tutor announced, as "FROM -> TO"')
    said: list[Literal["dont_know", "question", "unclear", "recap", "more", "analogy"]] | None = Field(
        None, description="how the tutor read each line that was not an answer, in order"
    )
    worked: list[str] | None = Field(None, description="questions the tutor showed a worked answer for, in order")
    stretched: list[str] | None = Field(None, description="stretch questions asked, as CONCEPT/STRETCH, in order")


class ScriptSession(Strict):
    turns: list[str] = []
    llm: list[str | LLMFault] = Field([], description="recorded LLM replies, in call order")
    expect: Expectations = Expectations()


class Script(Strict):
    lesson: str
    engine: Literal["offline", "llm"] = "offline"
    profile: Profile | str = Field("replay", description="a profile, or the name of a shipped example")
    sessions: list[ScriptSession] = Field([], description="sessions run one after another on the same profile")
    turns: list[str] | None = None
    llm: list[str | LLMFault] | None = None
    expect: Expectations | None = None

    @model_validator(mode="after")
    def _one_form(self):
        single = self.turns is not None or self.expect is not None or self.llm is not None
        if single and self.sessions:
            raise ValueError("give either 'sessions' or 'turns'/'llm'/'expect', not both")
        if not single and not self.sessions:
            raise ValueError("a script needs 'turns' or 'sessions'")
        if single:
            self.sessions = [
                ScriptSession(turns=self.turns or [], llm=self.llm or [], expect=self.expect or Expectations())
            ]
        return self


def load_script(path):
    return parse_model(Script, path)


class ScriptedInput:
    """The learner: each call returns the next scripted turn, then EOF."""

    def __init__(self, turns):
        self._turns = list(turns)

    def __call__(self, prompt):
        if not self._turns:
            raise EOFError
        return self._turns.pop(0)


class ScriptedLLM:
    """The LLM seam answered from the script: each call takes the next
    recorded reply. A recorded fault, or running out, raises like a failed call."""

    def __init__(self, replies):
        self._replies = list(replies)
        self.calls = []

    def _next(self, messages):
        self.calls.append(messages)
        if not self._replies:
            raise RuntimeError("the script has no more recorded LLM replies")
        reply = self._replies.pop(0)
        if isinstance(reply, LLMFault):
            raise RuntimeError(reply.fail)
        return reply

    def complete(self, messages, max_tokens=None):
        return self._next(messages)

    def complete_json(self, messages, name, schema, max_tokens=None):
        return self._next(messages)

    def stream(self, messages, max_tokens=None):
        reply = self._next(messages)
        return iter([word + " " for word in reply.split(" ")])


def observed(shared):
    """What the session did, in the terms of the expectations."""
    events = shared["transcript"]
    grades = [e for e in events if e["event"] == "grade"]
    concept, question = current(shared["lesson"], shared["position"]) if shared["lesson"] else (None, None)
    return {
        "verdicts": [e["verdict"] for e in grades],
        "engines": [e["engine"] for e in grades],
        "analogies": [e["analogy"] for e in events if e["event"] in ("explain", "reexplain", "analogy")],
        "ended": shared["outcome"],
        "at": f"{concept.id}/{question.id}" if concept else None,
        "style_changes": [f"{e['from']} -> {e['to']}" for e in events if e["event"] == "style"],
        "said": [e["kind"] for e in events if e["event"] == "said"],
        "worked": [e["question"] for e in events if e["event"] == "worked"],
        "stretched": list(shared.get("stretched", [])),
    }


def differences(expect, seen):
    """One line per expectation the session did not meet."""
    lines = []
    for field, wanted in expect.model_dump(exclude_none=True).items():
        if seen[field] != wanted:
            lines.append(f"{field}: expected {wanted}, got {seen[field]}")
    return lines
