"""Prompt size per LLM call over a 50-turn session, beside what sending the
whole conversation history would cost.

The session is real (run_session, the whole graph, the LLM engine) on the
shipped lesson lora/mechanics; only the LLM is a stand-in at the seam that
records every prompt. The learner gives wrong answers before each right one
(the reference answer), one fewer than would bring a worked answer, and takes
the lesson again from the start until it has given 50 answers in all, so the
tutor re-explains, probes and writes new analogies as it would for a
struggling learner.

Tokens are estimated at 4 characters each, the same estimate for both columns.
"Whole history" is the counterfactual design that sends every earlier prompt
and reply of the session with each call; "bounded" is what the tutor sends:
the lesson context, a profile summary and the current question's exchange.
"""

import io
import json
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSON = "lora/mechanics"
ANSWERS = 50
CHARS_PER_TOKEN = 4
WRONG = "I am not sure, maybe it just replaces W with something smaller"

COLUMNS = [
    ("turn", "answer", "{:d}"),
    ("calls", "LLM calls so far", "{:d}"),
    ("bounded", "bounded tokens/call", "{:.0f}"),
    ("bounded_ratio", "x turn 1", "{:.2f}"),
    ("history", "whole-history tokens/call", "{:.0f}"),
    ("history_vs_bounded", "history / bounded", "{:.1f}"),
]


def tokens(text):
    return len(text) / CHARS_PER_TOKEN


class RecordingChat:
    """The LLM seam, answering like a cooperative model and recording each call:
    its prompt size, its reply size and the learner answer it belonged to."""

    def __init__(self, lesson, answer_count):
        self.lesson, self.answer_count, self.calls = lesson, answer_count, []

    def _record(self, messages, reply, kind):
        prompt = sum(tokens(m["content"]) for m in messages)
        self.calls.append({"turn": self.answer_count(), "prompt": prompt, "reply": tokens(reply), "kind": kind})
        return reply

    def stream(self, messages, max_tokens=None):
        reply = "Here is the idea again, fitted to you: the frozen W and a thin trainable side path."
        self._record(messages, reply, "explanation")
        return iter([reply])

    def complete(self, messages, max_tokens=None):
        reply = "What happens to the output of W while only A and B are trained?"
        return self._record(messages, reply, "question")

    def complete_json(self, messages, name, schema, max_tokens=None):
        from pockettutor.utils.grading import grade

        prompt = messages[-1]["content"]
        answer = re.search(r"<answer>\n(.*)\n</answer>", prompt, re.S).group(1)
        rubric = json.loads(prompt.split("\n\n<answer>")[0].removeprefix("Rubric:\n"))
        question = next(q for c in self.lesson.concepts for q in c.questions if q.prompt == rubric["question"])
        result = grade(question, answer, self.lesson.synonyms)
        reply = json.dumps(
            {
                "ideas": [{"id": i.id, "met": i.id in result.met, "quote": answer} for i in question.key_ideas],
                "misconceptions": [],
                "feedback": "",
            }
        )
        return self._record(messages, reply, "grade")


def learner_turns(lesson):
    """ANSWERS answers: passes through the lesson, each question answered wrong
    as often as the tutor allows before a worked answer, less one, then right."""
    from pockettutor.utils.ladder import WRONG_ANSWERS_BEFORE_WORKED

    one_pass = []
    for question in (q for c in lesson.concepts for q in c.questions):
        one_pass += [WRONG] * (WRONG_ANSWERS_BEFORE_WORKED - 1) + [question.reference_answer.replace("\n", " ")]
    return (one_pass * (ANSWERS // len(one_pass) + 1))[:ANSWERS]


def run(quick=False):
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from pockettutor.main import run_session
    from pockettutor.utils.console import TutorConsole
    from pockettutor.utils.lessons import Library
    from pockettutor.utils.profiles import Profile, ProfileStore
    from pockettutor.utils.teachers import LLMTeacher

    library = Library(ROOT / "lessons")
    lesson = library.lesson(LESSON)
    turns = learner_turns(lesson)
    given = []

    def learner(prompt):
        if not turns:
            raise EOFError
        given.append(turns.pop(0))
        return given[-1]

    chat = RecordingChat(lesson, lambda: len(given))
    console = TutorConsole(input_fn=learner, file=io.StringIO(), width=100)
    outcomes = []
    with tempfile.TemporaryDirectory() as home:
        store, profile = ProfileStore(home), Profile(name="bench")
        while turns:
            teacher = LLMTeacher(chat, "recording stand-in")
            outcomes.append(run_session(console, teacher, library, store, profile, LESSON)["outcome"])
    if len(given) != ANSWERS or any(outcome != "complete" for outcome in outcomes[:-1]):
        raise RuntimeError(f"the scripted sessions did not run their {ANSWERS} answers to the end: {outcomes}")

    history, rows = 0.0, []
    for call in chat.calls:
        call["history"] = history + call["prompt"]
        history += call["prompt"] + call["reply"]
    first = [c["prompt"] for c in chat.calls if c["turn"] <= 1]
    baseline = sum(first) / len(first)
    for turn in (1, 10, 25, 50):
        at = [c for c in chat.calls if c["turn"] == turn] or [c for c in chat.calls if c["turn"] <= turn][-1:]
        bounded = sum(c["prompt"] for c in at) / len(at)
        whole = sum(c["history"] for c in at) / len(at)
        rows.append(
            {
                "turn": turn,
                "calls": sum(1 for c in chat.calls if c["turn"] <= turn),
                "bounded": bounded,
                "bounded_ratio": bounded / baseline,
                "history": whole,
                "history_vs_bounded": whole / bounded,
            }
        )
    largest = max(c["prompt"] for c in chat.calls)
    prompts = [c["prompt"] for c in chat.calls]
    first_ten, last_ten = sum(prompts[:10]) / 10, sum(prompts[-10:]) / 10
    # For sizing a shared server: what one learner answer costs it, by kind of call.
    kinds = {}
    for call in chat.calls:
        count, total = kinds.get(call["kind"], (0, 0.0))
        kinds[call["kind"]] = (count + 1, total + call["prompt"])
    per_answer = {
        kind: {"calls": count / ANSWERS, "prompt_tokens": total / ANSWERS} for kind, (count, total) in kinds.items()
    }
    return {
        "name": "prompt_size",
        "title": f"Prompt tokens per LLM call over a {ANSWERS}-answer session ({LESSON}, LLM engine, stand-in LLM)",
        "columns": [{"key": k, "header": h, "format": f} for k, h, f in COLUMNS],
        "rows": rows,
        "reference": {
            "calls": len(chat.calls),
            "largest_bounded_prompt": largest,
            "first_10_calls_mean": first_ten,
            "last_10_calls_mean": last_ten,
            "calls_per_answer": len(chat.calls) / ANSWERS,
            "prompt_tokens_per_answer": sum(prompts) / ANSWERS,
            "per_answer_by_kind": per_answer,
        },
        "notes": [
            f"{len(chat.calls)} LLM calls; the largest bounded prompt is {largest:.0f} tokens.",
            f"Bounded prompts, mean of the first 10 calls {first_ten:.0f} tokens, of the last 10 {last_ten:.0f} "
            f"({last_ten / first_ten:.2f}x): flat. Rows differ by the kind of call made at that answer.",
            f"Per learner answer: {len(chat.calls) / ANSWERS:.2f} calls and "
            f"{sum(prompts) / ANSWERS:.0f} prompt tokens ("
            + ", ".join(
                f"{kind} {figures['calls']:.2f} calls, {figures['prompt_tokens']:.0f} tokens"
                for kind, figures in sorted(per_answer.items())
            )
            + "): what one answer costs a shared server, before the replies.",
            f"Tokens estimated at {CHARS_PER_TOKEN} characters each, for both columns.",
        ],
    }
