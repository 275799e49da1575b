"""Lesson transcripts: every event of every session, kept per learner and
lesson as JSON lines, and rendered as Markdown by `tutor export`.

Each event is written as it happens, so a killed process loses at most the
event being written (a torn last line is skipped on reading). The fsync that
makes them survive a power cut comes once per turn (`sync`), before the
profile's save, so the profile never records a turn its transcript lacks.
"""

import json
import os
from pathlib import Path

from pockettutor.utils.errors import UsageError, visible


def transcript_folder(home, profile_name):
    return Path(home) / "transcripts" / profile_name


def transcript_path(home, profile_name, lesson_ref):
    return transcript_folder(home, profile_name) / (lesson_ref.replace("/", "__") + ".jsonl")


def history_path(home, profile_name):
    """The learner's own input history (up-arrow recalls only their answers)."""
    return Path(home) / "history" / profile_name


def open_private(path, flags=os.O_WRONLY | os.O_APPEND | os.O_CREAT):
    """A learner's file, opened for writing: 0600 in a 0700 folder, and never
    through a symbolic link someone planted in its place."""
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        return os.open(path, flags | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        if path.is_symlink():
            raise UsageError(f"{path} is a symbolic link; refusing to write through it") from None
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def disputes_path(home, profile_name):
    """The verdicts a learner disputed, one JSON line each, for instructors."""
    return Path(home) / "disputes" / f"{profile_name}.jsonl"


class Transcript(list):
    """The session's events in memory and, when given a path, on disk."""

    def __init__(self, path=None):
        super().__init__()
        self.path = Path(path) if path else None
        self.unsynced = False

    def append(self, event):
        super().append(event)
        if self.path is None:
            return
        fd = open_private(self.path)
        try:
            os.write(fd, (json.dumps(event, ensure_ascii=False) + "\n").encode("utf-8"))
        finally:
            os.close(fd)
        self.unsynced = True

    def sync(self):
        """Make every event written so far durable (one fsync, only if there are new ones)."""
        if not self.unsynced:
            return
        fd = open_private(self.path)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        self.unsynced = False


def read_events(path):
    events = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return events
    for line in lines:
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line torn by a killed session
    return events


def _quote(text):
    return "\n".join("> " + line if line else ">" for line in visible(text).strip().splitlines())


def render_markdown(lesson, lesson_ref, profile_name, events):
    """The lesson's record: the teaching as delivered, each question, the
    learner's answers verbatim, each evaluation, and every side step."""
    questions = {q.id: q for c in lesson.concepts for q in c.questions}
    ideas = {(q.id, i.id): i.description for q in questions.values() for i in q.key_ideas}
    out = [f"# {lesson.title}", "", f"Learner: {profile_name} · lesson `{lesson_ref}`", ""]
    for event in events:
        kind = event.get("event")
        if kind == "session":
            out += ["---", "", f"*Session started {event.get('at', '')}, engine: {event.get('engine', '')}*", ""]
        elif kind in ("explain", "reexplain", "analogy") and event.get("text"):
            out += [f"## {event.get('title', '')}", "", event["text"].strip(), ""]
        elif kind == "question":
            out += ["### Question", "", event.get("text", "").strip(), ""]
        elif kind == "answer":
            out += ["**Your answer:**", "", _quote(event.get("text", "")), ""]
        elif kind == "grade":
            verdict = {"correct": "Correct", "partial": "Partly there", "incorrect": "Not yet"}[event["verdict"]]
            line = f"**Evaluation:** {verdict} (attempt {event.get('attempt', 1)}, {event.get('engine', '')} engine)"
            out += [line, ""]
            out += [f"- covered: {ideas.get((event['question'], i), i)}" for i in event.get("met", [])]
            if event.get("feedback"):
                out += ["", event["feedback"].strip()]
            out.append("")
        elif kind in ("probe", "hint", "smaller"):
            label = {"probe": "Follow-up", "hint": "Hint", "smaller": "A smaller step"}[kind]
            out += [f"**{label}:** {event.get('text', '').strip()}", ""]
        elif kind == "said":
            out += [f"**You said:** {event.get('text', '').strip()}", ""]
        elif kind == "lookup":
            out += [f"**From the lesson:** {event.get('text', '').strip()}", ""]
        elif kind == "recap":
            out += ["**Recap:**", "", event.get("text", "").strip(), ""]
        elif kind == "stretch":
            out += ["### Push further", "", event.get("text", "").strip(), ""]
        elif kind == "stretch_answer":
            out += ["**Your answer:**", "", _quote(event.get("text", "")), ""]
        elif kind == "worked":
            out += ["### A worked answer", "", event.get("text", "").strip(), ""]
        elif kind == "command":
            out += [f"*You typed `{event.get('text', '')}`*", ""]
        elif kind == "style":
            out += [f"*The tutor adjusted to your style: {event.get('from')} → {event.get('to')}*", ""]
        elif kind == "end":
            out += [f"*Session ended: {event.get('outcome')}*", ""]
    return "\n".join(out).rstrip() + "\n"
