"""Learner profiles: what the tutor remembers between sessions.

One YAML file per learner under the data directory (TUTOR_HOME overrides it),
written atomically after every turn so a crash loses at most the turn in flight.
"""

import os
import re
import tempfile
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from utils.errors import UsageError
from utils.lessons import Style, parse_model

SCHEMA_VERSION = 1
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class AnalogyRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lesson: str
    concept: str
    analogy: str
    outcome: Literal["shown", "worked", "failed"] = "shown"
    text: str | None = None  # kept for analogies the LLM wrote, which no lesson file holds


class LessonProgress(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["in_progress", "complete"] = "in_progress"
    concept: str | None = None
    question: str | None = None
    explained: bool = False
    skipped: list[str] = []


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_version: int = SCHEMA_VERSION
    name: str = Field(pattern=NAME_PATTERN)
    experience: str = ""
    thinking_style: Style | None = None
    preferences: list[str] = []
    notes: str = ""
    current_lesson: str | None = None
    lessons: dict[str, LessonProgress] = {}
    analogies: list[AnalogyRecord] = []

    def progress(self, lesson_ref):
        return self.lessons.setdefault(lesson_ref, LessonProgress())

    def failed_analogies(self, lesson_ref, concept_id):
        return {
            r.analogy for r in self.analogies if (r.lesson, r.concept, r.outcome) == (lesson_ref, concept_id, "failed")
        }

    def shown_analogies(self, lesson_ref, concept_id):
        return [r.analogy for r in self.analogies if (r.lesson, r.concept) == (lesson_ref, concept_id)]

    def written_analogies(self, lesson_ref, concept_id):
        """Records of the analogies an LLM wrote for this concept, oldest first."""
        return [r for r in self.analogies if (r.lesson, r.concept) == (lesson_ref, concept_id) and r.text is not None]

    def record_analogy(self, lesson_ref, concept_id, analogy_id, text=None):
        self.analogies.append(AnalogyRecord(lesson=lesson_ref, concept=concept_id, analogy=analogy_id, text=text))

    def record_outcome(self, lesson_ref, concept_id, verdict):
        """The analogy shown last for this concept led to `verdict`: it worked
        on a correct answer and failed on an incorrect one."""
        for record in reversed(self.analogies):
            if (record.lesson, record.concept) == (lesson_ref, concept_id):
                if record.outcome == "shown" and verdict in ("correct", "incorrect"):
                    record.outcome = "worked" if verdict == "correct" else "failed"
                return

    def summary(self):
        """A few lines about the learner, for an LLM prompt."""
        parts = [f"Experience: {self.experience or 'not stated'}."]
        if self.thinking_style:
            parts.append(f"Thinks best with {self.thinking_style} analogies.")
        if self.preferences:
            parts.append("Prefers: " + "; ".join(self.preferences) + ".")
        return " ".join(parts)


def data_home(env=None):
    env = os.environ if env is None else env
    if env.get("TUTOR_HOME"):
        return Path(env["TUTOR_HOME"]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("pockettutor", appauthor=False))


def examples_dir():
    return Path(__file__).resolve().parent.parent / "student_profiles"


def atomic_write_text(path, text):
    """Write via a temp file in the same folder, fsync, then rename over the
    target: a reader sees the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class ProfileStore:
    """Profiles on disk: the live ones under `home`/profiles, and the shipped
    examples a new learner may start from."""

    def __init__(self, home):
        self.home = Path(home)
        self.folder = self.home / "profiles"

    def path(self, name):
        return self.folder / f"{name}.yaml"

    def load_or_create(self, name):
        """The learner's profile; a new one starts from the shipped example of
        the same name if there is one."""
        if not re.match(NAME_PATTERN, name):
            raise UsageError(f"invalid profile name '{name}': use letters, digits, '-', '_' and '.'")
        path = self.path(name)
        if path.exists():
            return parse_model(Profile, path)
        example = examples_dir() / f"{name}.yaml"
        if example.exists():
            return parse_model(Profile, example)
        return Profile(name=name)

    def save(self, profile):
        text = yaml.safe_dump(profile.model_dump(mode="json", exclude_none=True), sort_keys=False, allow_unicode=True)
        atomic_write_text(self.path(profile.name), text)
