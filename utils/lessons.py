"""The course library: the lesson format (v1) as pydantic models, and loading.

The models are the single definition of the format: loading, validation and
error messages all come from them. docs/lesson-format.md describes each field.
"""

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pockettutor.utils.errors import SourceError, UsageError, control_characters, printable
from pockettutor.utils.lesson_cache import LessonCache
from pockettutor.utils.yaml_source import load_yaml, parse_source, read_source

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
Id = Field(pattern=ID_PATTERN, description="lower-case letters, digits and dashes")
# A lesson named in course.yaml is a file beside it: no folders, no "..".
LessonId = Annotated[str, Field(pattern=ID_PATTERN)]
Style = Literal["mechanical", "visual", "everyday", "mathematical"]
STYLES = ("mechanical", "visual", "everyday", "mathematical")
Label = Literal["correct", "partial", "incorrect"]


class Strict(BaseModel):
    # defer_build: a validator is built when a file is first validated, not when this module
    # is imported; a session whose lessons come from the cache never builds one.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value):
        """Lesson text reaches the terminal: an escape sequence in it could retitle the
        window, clear the screen or write the clipboard."""
        for text in _strings(value):
            bad = control_characters(text)
            if bad:
                raise ValueError(f"control character {printable(bad[0])} in {printable(text[:40])!s}")
        return value


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)


class VocabularyTerm(Strict):
    id: str = Id
    name: str = Field(description="how the tutor names it, e.g. 'The Sculpture'")
    meaning: str = Field(description="what it stands for")
    introduced_in: str | None = Field(None, description="COURSE/LESSON that introduces it")


class Vocabulary(Strict):
    format: Literal[1]
    terms: list[VocabularyTerm] = Field(min_length=1)

    def by_id(self):
        return {term.id: term for term in self.terms}


class KeyIdea(Strict):
    id: str = Id
    description: str = Field(
        description="the idea, for authors and the LLM grader; shown to the learner once they have stated it"
    )
    phrasings: list[str] = Field(min_length=1, description="ways a learner may state it")
    probe: str | None = Field(None, description="a Socratic follow-up that leads to the idea without stating it")


class Misconception(Strict):
    id: str = Id
    description: str
    phrasings: list[str] = Field(min_length=1)
    remedy: str = Field(description="what to tell a learner who holds it, without giving the answer")
    example: str | None = Field(None, description="an answer that holds it; lint checks it grades incorrect")
    confused_with: str | None = Field(
        None,
        description="the concept this belief mixes this one up with: CONCEPT in this lesson, or COURSE/LESSON/CONCEPT",
        pattern=r"^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9-]*)?$",
    )


class SampleAnswer(Strict):
    text: str
    label: Label


class Question(Strict):
    id: str = Id
    prompt: str
    reference_answer: str
    key_ideas: list[KeyIdea] = Field(
        [], description="what a correct answer must contain; none: the grader derives them from the reference answer"
    )
    misconceptions: list[Misconception] = []
    hints: list[str] = Field([], description="a ladder, gentlest first; none states the answer")
    synonyms: dict[str, list[str]] = Field({}, description="canonical word -> variants, for this question")
    roles: list[tuple[str, str]] = Field(
        [],
        description="pairs of parties the question compares (each one word after synonyms, e.g. [teamp, teamq]): "
        "a phrasing that names one is also read with the two swapped, as a statement of the reverse",
    )
    opposites: dict[str, str] = Field(
        {},
        description="word -> its opposite, for this question, beside the built-in comparison words "
        "(more/less, larger/smaller, before/after, exact/approximate, ...)",
    )
    samples: list[SampleAnswer] = Field([], description="labelled answers the grader must classify right")


class Stretch(Strict):
    id: str = Id
    prompt: str = Field(description="a harder question on the concept: a new situation, an edge case, a 'why'")
    answer: str = Field(description="how a strong answer goes; shown after the learner's attempt, never graded")


class Analogy(Strict):
    id: str = Id
    term: str | None = Field(None, description="id of a term in the shared vocabulary")
    styles: list[Style] = Field(min_length=1)
    text: str


class Concept(Strict):
    id: str = Id
    title: str
    interlude: bool = Field(False, description="a side topic the lesson pauses for; taught like any concept")
    core: str | None = Field(
        None,
        description="the concept in at most 120 words: what a learner who asked for short explanations reads, "
        "and what a recap shows",
    )
    explanation: str
    analogies: list[Analogy] = Field(min_length=1)
    questions: list[Question] = Field(min_length=1)
    stretch: list[Stretch] = Field(
        [], description="pushes for a learner who answers right at the first try; optional for the learner"
    )

    def question(self, question_id):
        return next(q for q in self.questions if q.id == question_id)

    @property
    def label(self):
        """The title as listed in summaries and tables, marking an interlude."""
        return f"Interlude: {self.title}" if self.interlude else self.title

    @model_validator(mode="after")
    def _unique_ids(self):
        _require_unique("analogy", [a.id for a in self.analogies])
        _require_unique("question", [q.id for q in self.questions])
        _require_unique("stretch", [q.id for q in self.stretch])
        return self


class GlossaryEntry(Strict):
    term: str
    aliases: list[str] = Field([], description="other names a learner may ask about")
    meaning: str = Field(description="one or two plain sentences; never the answer to a question of the lesson")


class Lesson(Strict):
    format: Literal[1]
    id: str = Id
    title: str
    summary: str
    prerequisites: list[str] = Field([], description="COURSE/LESSON ids to do first")
    glossary: list[GlossaryEntry] = Field(
        [], description="every technical term the lesson uses: how the tutor answers 'what does X mean?'"
    )
    synonyms: dict[str, list[str]] = Field({}, description="canonical word -> variants, for every question")
    concepts: list[Concept] = Field(min_length=1)

    def concept(self, concept_id):
        return next(c for c in self.concepts if c.id == concept_id)

    @model_validator(mode="after")
    def _unique_ids(self):
        _require_unique("concept", [c.id for c in self.concepts])
        return self


class Course(Strict):
    format: Literal[1]
    id: str = Id
    number: int | None = Field(None, description="place in the curriculum; courses are listed in this order")
    title: str
    summary: str
    prerequisites: list[str] = Field([], description="course ids to do first")
    lessons: list[LessonId] = Field(
        min_length=1, description="lesson ids in teaching order; LESSON.yaml beside this file"
    )


class ReadingPath(Strict):
    id: str = Id
    title: str
    description: str = ""
    steps: list[str] = Field(min_length=1, description="COURSE or COURSE/LESSON ids, in reading order")


class ReadingPaths(Strict):
    format: Literal[1]
    paths: list[ReadingPath] = Field(min_length=1)


# The kinds of file in a library, by file name; any other .yaml is a lesson.
SPECIAL_FILES = {"vocabulary.yaml": Vocabulary, "course.yaml": Course, "paths.yaml": ReadingPaths}
SCHEMA_FILES = {
    Lesson: "schema.json",
    Course: "course.schema.json",
    Vocabulary: "vocabulary.schema.json",
    ReadingPaths: "paths.schema.json",
}


SCHEMA_KINDS = {"lesson": Lesson, "course": Course, "vocabulary": Vocabulary, "paths": ReadingPaths}


def model_for(path):
    return SPECIAL_FILES.get(Path(path).name, Lesson)


def write_schemas(root):
    """Write the JSON Schema files editors use; a test keeps them in sync."""
    import json

    for model, name in SCHEMA_FILES.items():
        (Path(root) / name).write_text(json.dumps(json_schema(model), indent=2) + "\n", encoding="utf-8")


def json_schema(model):
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"PocketTutor {model.__name__.lower()} file, format 1"
    return schema


def _require_unique(kind, ids):
    seen = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"duplicate {kind} id '{item}'")
        seen.add(item)


def describe_error(error):
    """One pydantic error as a short message; the line number says where."""
    loc, kind = error["loc"], error["type"]
    if kind == "missing":
        return f"missing field '{loc[-1]}'"
    if kind == "extra_forbidden":
        return f"unknown field '{loc[-1]}'"
    # Name the field from its last key on, e.g. "styles[0]".
    names = [i for i, part in enumerate(loc) if isinstance(part, str)]
    tail = loc[names[-1] :] if names else loc
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in tail).lstrip(".")
    return f"{where}: {error['msg']}" if where else error["msg"]


def parse_model(model, path):
    """Load `path` as `model`; the first problem becomes a SourceError at its line."""
    return validate_document(model, load_yaml(path))


def read_model(model, path, cache):
    """parse_model through a LessonCache: the file is read once, and parsed from those
    very bytes only when the cache holds no models made from them."""
    raw = read_source(path)
    key = cache.key(model, path, raw)
    found = cache.get(model, path, key)
    if found is None:
        found = validate_document(model, parse_source(raw, Path(path)))
        cache.put(model, path, key, found)
    return found


def validate_document(model, document):
    """A parsed file as `model`; the first problem becomes a SourceError at its line."""
    if document.not_a_mapping():
        raise document.error((), document.not_a_mapping())
    try:
        return model.model_validate(document.data)
    except ValidationError as exc:
        first = exc.errors()[0]
        # A model-level check (duplicate ids) reports on its container.
        raise document.error(first["loc"], describe_error(first)) from None


def shipped_library():
    """The lessons/ folder installed with the tutor."""
    return Path(__file__).resolve().parent.parent / "lessons"


def user_library(env=None):
    """The learner's or instructor's own lessons: `tutor new` writes here."""
    from pockettutor.utils.profiles import data_home

    return data_home(env) / "lessons"


def library_roots(env=None):
    """Where lessons come from, in order: the shipped library (unless the
    `shipped_lessons` setting is off), the user's folder, then the folders of the
    `lessons` setting or $TUTOR_LESSONS. Folders add to each other; none replaces
    another. A folder named twice counts once."""
    from pockettutor.utils.settings import resolved

    settings, users = resolved(env), user_library(env)
    candidates = [shipped_library()] if settings["shipped_lessons"].value else []
    candidates += [users, *(Path(folder) for folder in settings["lessons"].value)]
    roots, seen = [], set()
    for root in candidates:
        key = root.resolve()
        if key not in seen and (root != users or root.is_dir()):
            seen.add(key)
            roots.append(root)
    return roots


class Library:
    """The courses under one or more lesson folders, read lazily: listing
    courses reads only course.yaml files; a lesson is parsed when first asked
    for, or read back from the lesson cache (utils/lesson_cache.py). A course,
    vocabulary term or reading path id may be in one folder only."""

    def __init__(self, roots=None, cache=None):
        if roots is None:
            roots = library_roots()
        self.roots = [Path(root) for root in ([roots] if isinstance(roots, (str, os.PathLike)) else roots)]
        self.cache = LessonCache() if cache is None else cache
        self._courses = None
        self._course_roots = {}  # course id -> the folder holding it
        self._lessons = {}  # ref -> Lesson: a session, a report or an exam reads each file once

    def describe_roots(self):
        return ", ".join(str(root) for root in self.roots) or "no lesson folder"

    def _special_files(self, name):
        return [root / name for root in self.roots if (root / name).exists()]

    def reading_paths(self):
        paths, where = {}, {}
        for path in self._special_files("paths.yaml"):
            for reading_path in read_model(ReadingPaths, path, self.cache).paths:
                if reading_path.id in paths:
                    raise _clash(path, "reading path", reading_path.id, where[reading_path.id])
                paths[reading_path.id], where[reading_path.id] = reading_path, path
        return paths

    def path_lessons(self, reading_path):
        """The lesson refs a reading path walks through, in order: a COURSE step
        stands for all of its lessons."""
        refs = []
        for step in reading_path.steps:
            refs += (
                [self.resolve(step)] if "/" in step else [f"{step}/{lesson}" for lesson in self.courses()[step].lessons]
            )
        return refs

    def vocabulary(self):
        terms, where = {}, {}
        for path in self._special_files("vocabulary.yaml"):
            for term_id, term in read_model(Vocabulary, path, self.cache).by_id().items():
                if term_id in terms:
                    raise _clash(path, "vocabulary term", term_id, where[term_id])
                terms[term_id], where[term_id] = term, path
        return terms

    def courses(self):
        if self._courses is None:
            courses = {}
            for root in self.roots:
                for path in sorted(root.glob("*/course.yaml")):
                    course = read_model(Course, path, self.cache)
                    if course.id != path.parent.name:
                        raise SourceError(
                            path, f"course id '{course.id}' differs from its folder '{path.parent.name}'", 1, 1
                        )
                    if course.id in courses:
                        raise _clash(path, "course", course.id, self._course_roots[course.id] / course.id)
                    courses[course.id], self._course_roots[course.id] = course, root
            ordered = sorted(courses.values(), key=lambda c: (c.number is None, c.number or 0, c.id))
            self._courses = {course.id: course for course in ordered}
        return self._courses

    def course_folder(self, course_id):
        self.courses()
        return self._course_roots[course_id] / course_id

    def lesson_refs(self):
        return [f"{course.id}/{lesson}" for course in self.courses().values() for lesson in course.lessons]

    def resolve(self, ref):
        """Turn what the learner typed (COURSE/LESSON, or COURSE for its first
        lesson) into a known lesson ref."""
        refs = self.lesson_refs()
        if ref in refs:
            return ref
        courses = self.courses()
        if ref in courses:
            return f"{ref}/{courses[ref].lessons[0]}"
        known = ", ".join(refs) or "none"
        raise UsageError(f"unknown lesson '{ref}' (known: {known}); see `tutor courses`")

    def lesson(self, ref):
        ref = self.resolve(ref)
        if ref not in self._lessons:
            course_id, lesson_id = ref.split("/")
            path = self.course_folder(course_id) / f"{lesson_id}.yaml"
            lesson = read_model(Lesson, path, self.cache)
            if lesson.id != lesson_id:
                raise SourceError(path, f"lesson id '{lesson.id}' differs from its file name '{lesson_id}'", 1, 1)
            self._lessons[ref] = lesson
        return self._lessons[ref]


def _clash(path, kind, item_id, first):
    message = f"{kind} '{item_id}' is also defined in {first}; ids must differ across lesson folders"
    return SourceError(path, message, 1, 1)
