"""`tutor new`: write a new course or lesson that lints clean and plays.

The files are commented templates: every field is there with a line on what it
does, and the placeholder lesson (why a ramp makes lifting easier) is complete,
so `tutor lint` reports nothing and `tutor learn COURSE/LESSON` runs it before
the instructor has changed a word. Adding a lesson edits the course's
`lessons:` list as text, so the instructor's comments and layout survive.
See docs/authoring.md.
"""

import os
import re
from pathlib import Path

import yaml

from pockettutor.utils.errors import UsageError
from pockettutor.utils.lessons import SCHEMA_FILES, Course, Lesson
from pockettutor.utils.profiles import atomic_write_text
from pockettutor.utils.yaml_source import parse_yaml

NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
FIRST_LESSON = "first-lesson"
# A lesson file with one of these names would be read as another kind of file.
RESERVED_LESSON_NAMES = {"course", "vocabulary", "paths"}

COURSE_TEMPLATE = """\
# yaml-language-server: $schema=@SCHEMA@
#
# A course: this file plus one YAML file per lesson, in a folder named after the
# course. `tutor new course` wrote it; change the title and summary, then add
# lessons with `tutor new lesson @NAME@ NAME`. Check everything with `tutor lint`.
# The guide for authors is docs/authoring.md.

# The version of the file format. Always 1.
format: 1

# The course id. It must be the name of this folder.
id: @ID@

# Optional: the course's place in your curriculum. `tutor courses` lists
# numbered courses first, lowest number first. Remove the # to use it.
# number: 1

# The name learners see in `tutor courses`.
title: "@TITLE@"

# One or two sentences on what a learner can do after the course.
summary: >-
  A new course with one placeholder lesson about ramps. Replace this summary
  with what your learners will be able to do once they finish.

# Courses (by id) a learner should finish before this one; [] for none.
prerequisites: []

# The lessons in teaching order. Each name is a file NAME.yaml in this folder.
# `tutor new lesson @NAME@ NAME` adds NAME to the end of this list.
lessons:
  - @FIRST@
"""

LESSON_TEMPLATE = """\
# yaml-language-server: $schema=@SCHEMA@
#
# A lesson, written by `tutor new lesson` as a starting point. It is a complete
# lesson about ramps that already passes `tutor lint` and plays with
# `tutor learn @COURSE@/@NAME@`. Replace it part by part with your own topic and
# run `tutor lint` after each change. The guide for authors is docs/authoring.md.

# The version of the file format. Always 1.
format: 1

# The lesson id. It must be this file's name without .yaml, and it must be
# listed under `lessons:` in course.yaml.
id: @ID@

# The name learners see in `tutor courses` and at the start of the lesson.
title: "@TITLE@"

# One or two sentences: what the learner will understand by the end.
summary: >-
  Why a ramp lets you raise a heavy box with less force than lifting it
  straight up, and what you pay for that.

# Lessons to finish first, as COURSE/LESSON; [] for none.
prerequisites: []

# Every technical term the lesson uses, in plain words. When a learner asks
# "what does ramp mean?", the tutor answers from here (or from the
# explanations), never with the answer to the question in front of them.
glossary:
  - term: ramp
    aliases: [slope, incline]
    meaning: A flat surface set at an angle, leading from a lower level to a higher one.
  - term: force
    meaning: A push or a pull, how hard you act on something.

# Words learners use for the same thing, for every question in this lesson:
# the word your phrasings use, then the words a learner might say instead.
# The grader reads each of those as the first word, so "you push less" counts
# as "less force" and phrasings can stay short.
synonyms:
  force: [push, effort, strength]
  distance: [path, trip, route]
  longer: [farther, further]

# The ideas of the lesson, taught one at a time, in this order.
concepts:
  # ------------------------------------------------------------------
  # A concept: an explanation, analogies, then questions that check it.
  - id: trading-distance-for-force
    title: "Trading distance for force"

    # The concept in at most 120 words: what a learner who asked for short
    # explanations reads, and what a recap shows.
    core: >-
      A ramp lets you raise a box to the same height along a longer path. The
      work of raising it is spread over that path, so you push less hard at
      every step, but you push for longer.

    # The whole teaching. Markdown for a terminal: short paragraphs,
    # and small diagrams inside ```text fences.
    explanation: |
      To put a heavy box on a platform you must raise it through the platform's
      height. Lifting it straight up, your arms hold the whole weight of the
      box for the whole climb.

      A ramp changes the path, not the height. The box still ends up at the
      same height, but it gets there along a slope that is much longer than
      the height itself:

      ```text
                          /|
                        /  |
             ramp     /    |  height
           (long)   /      |  (short)
                  /        |
          [box] /__________|
      ```

      The job of raising the box is shared out over that longer slope, so each
      step of the way asks less of you. The box weighs exactly what it weighed
      before; what changes is how hard you have to push at any moment, and how
      far you have to push.

    # Analogies, shown when the explanation did not land. `styles` says which
    # learners an analogy suits (mechanical, visual, everyday, mathematical);
    # learners see the ones matching their thinking style first. Two or more
    # per concept, in different styles, so a second try is really different.
    # An analogy may also name a shared term with `term: ID` from
    # vocabulary.yaml at the library root.
    analogies:
      - id: staircase
        styles: [everyday, visual]
        text: >-
          Reaching the third floor by a long, gentle staircase tires your legs
          far less than climbing a ladder straight up to the same window, even
          though you walk much further on the stairs.
      - id: bicycle-gear
        styles: [mechanical]
        text: >-
          A bicycle in its lowest gear climbs a steep hill with easy pedal
          strokes: you turn the pedals many more times to gain the same height,
          and each turn needs only a gentle push.

    # Questions, asked in order. Ask for understanding (why, what if), not for
    # a word the learner could copy from the explanation.
    questions:
      - id: why-ramp
        prompt: >-
          Movers push a heavy box up a ramp into a truck instead of lifting it
          straight up. Why is that easier?

        # A full answer, for you and for the LLM grader. Never shown to the
        # learner; `tutor lint` checks that the offline grader marks it correct.
        reference_answer: >-
          Along the ramp the box travels a longer distance than when it is
          lifted straight up, so the same climb needs less force at every step.

        # What a correct answer must contain. The offline grader looks for the
        # phrasings: a phrasing matches when all its words (apart from small
        # words like "the" or "is") appear in one sentence of the answer, with
        # the same negation. Keep phrasings to two to four words and give
        # several. The description is shown to the learner once they have said
        # it. The probe is a follow-up question that leads towards the idea
        # without stating it, asked when the answer is missing the idea.
        key_ideas:
          - id: longer-path
            description: The box travels a longer distance along the ramp than straight up.
            phrasings: [longer distance, travels longer, moves longer, longer slope]
            probe: >-
              Follow the box from the bottom of the ramp to the top. How does
              its trip compare with lifting it straight up?
          - id: less-force
            description: Because the climb is spread over that distance, each moment needs less force.
            phrasings: [less force, smaller force, force lower, force reduced]
            probe: >-
              While you push the box up the slope, how hard are you pushing
              compared with holding it in the air?

        # Wrong beliefs worth catching. Any answer that matches a phrasing here
        # is graded incorrect, and the learner gets the remedy: a nudge that
        # makes them rethink, without giving the answer. The example is an
        # answer that holds the belief; `tutor lint` checks it grades incorrect.
        misconceptions:
          - id: box-lighter
            description: The ramp makes the box weigh less.
            phrasings: [box lighter, load lighter, ramp lightens]
            remedy: >-
              A bathroom scale under the box would read the same on the ramp as
              on the floor. If the weight does not change, what does the ramp
              change about your job?
            example: A ramp works because the box is lighter on a slope.

        # A ladder of hints, gentlest first; the learner asks for the next one
        # with /hint. None may state the answer: `tutor lint` warns when the
        # grader would mark a hint correct.
        hints:
          - Compare the trip the box makes up the ramp with lifting it straight up.
          - The box weighs the same on the ramp. Think about what happens to your push.

        # Answers you labelled yourself: correct, partial or incorrect.
        # `tutor lint` grades each one and reports any the grader disagrees
        # with, so add a sample whenever you find an answer graded wrongly.
        samples:
          - text: The box goes a longer distance along the slope, so you push with less force.
            label: correct
          - text: You need less force on a ramp.
            label: partial
          - text: The ramp makes the box lighter.
            label: incorrect

    # Harder questions for a learner who answers right at the first try. They
    # are optional for the learner and not graded: after an attempt the tutor
    # shows `answer`, how a strong answer goes.
    stretch:
      - id: twice-as-long
        prompt: >-
          A second ramp to the same platform is twice as long as the first.
          How does the push it needs compare, and what do you give up?
        answer: >-
          Roughly half the push (ignoring friction), because the same raising
          is spread over twice the distance; you give up distance, pushing
          twice as far.
"""


def new_course(library_root, name):
    """Write LIBRARY/NAME/course.yaml and its first lesson; return both paths."""
    _check_name("course", name)
    root = Path(library_root)
    course_path = root / name / "course.yaml"
    lesson_path = root / name / f"{FIRST_LESSON}.yaml"
    if (root / name).exists() and not (root / name).is_dir():
        raise UsageError(f"{root / name} already exists and is not a folder; not overwriting it")
    for path in (course_path, lesson_path):
        _refuse_existing(path)
    schema = _schema(root, course_path, Course)
    course_text = _fill(COURSE_TEMPLATE, schema, id=_scalar(name), name=name, title=_title(name), first=FIRST_LESSON)
    atomic_write_text(course_path, course_text)
    atomic_write_text(lesson_path, _lesson_text(root, name, FIRST_LESSON, lesson_path))
    return [course_path, lesson_path]


def new_lesson(library_root, course, name):
    """Write LIBRARY/COURSE/NAME.yaml and add NAME to the end of the course's
    `lessons:` list. Returns the lesson's path, then course.yaml's if it
    changed (it does not when NAME was already listed)."""
    _check_name("course", course)
    _check_name("lesson", name)
    if name in RESERVED_LESSON_NAMES:
        raise UsageError(f"invalid lesson name '{name}': {name}.yaml is a special file name; choose another name")
    root = Path(library_root)
    course_path = root / course / "course.yaml"
    lesson_path = root / course / f"{name}.yaml"
    if not course_path.is_file():
        raise UsageError(f"unknown course '{course}': there is no {course_path}; create it with `tutor new course`")
    _refuse_existing(lesson_path)
    # Work out the new course.yaml before writing anything, so a course file
    # that cannot be edited leaves the library untouched.
    try:
        with open(course_path, encoding="utf-8", newline="") as handle:
            course_text = handle.read()
    except UnicodeDecodeError:
        raise UsageError(f"{course_path}: not UTF-8 text; cannot add '{name}' to its lessons") from None
    new_course_text = add_lesson_to_course(course_text, name, course_path)
    atomic_write_text(lesson_path, _lesson_text(root, course, name, lesson_path))
    if new_course_text is None:
        return [lesson_path]
    atomic_write_text(course_path, new_course_text)
    return [lesson_path, course_path]


def add_lesson_to_course(text, name, path="course.yaml"):
    """course.yaml's text with `name` added to the end of its top-level
    `lessons:` list, written in the list's own style (flow `[a, b]` or block
    `- a` lines); everything else, comments included, is kept as it was.
    None when the list already holds `name`."""
    newline = "\r\n" if "\r\n" in text else "\n"
    text = text.replace("\r\n", "\n")
    before = _lessons(text, path)
    if name in before:
        return None
    edited = _add_to_flow_list(text, name)
    if edited is None:
        edited = _add_to_block_list(text, name)
    if edited is None:
        raise UsageError(
            f"{path}: found no top-level `lessons:` list to add '{name}' to; add it to the course's lessons by hand"
        )
    if _lessons(edited, path) != [*before, name]:
        raise UsageError(f"{path}: could not add '{name}' to its `lessons:` list safely; add it by hand")
    return edited.replace("\n", newline)


def _lessons(text, path):
    data = parse_yaml(text, path).data
    lessons = data.get("lessons") if isinstance(data, dict) else None
    return list(lessons) if isinstance(lessons, list) else []


FLOW_START = re.compile(r"^lessons:[ \t]*\[", re.MULTILINE)
BLOCK_START = re.compile(r"^lessons:[ \t]*(#[^\n]*)?$", re.MULTILINE)
BLOCK_ITEM = re.compile(r"^([ \t]*-[ \t]+)\S")


def _add_to_flow_list(text, name):
    match = FLOW_START.search(text)
    if not match:
        return None
    start = match.end()
    end = _closing_bracket(text, start)
    if end is None:
        return None
    inner = text[start:end]
    item = _scalar(name)
    if not inner.strip():
        new_inner = item
    elif "\n" not in inner:
        body = inner.rstrip()
        new_inner = body + (" " if body.endswith(",") else ", ") + item + inner[len(body) :]
    else:
        new_inner = _add_to_multiline_flow(inner, item)
        if new_inner is None:
            return None
    return text[:start] + new_inner + text[end:]


def _add_to_multiline_flow(inner, item):
    """`[` and `]` on their own lines, one or more items per line between."""
    lines = inner.split("\n")
    last = max((i for i, line in enumerate(lines) if _code(line).strip()), default=None)
    if last is None:
        return None
    line = lines[last]
    code = _code(line).rstrip()
    trailing_comma = code.endswith(",")
    if not trailing_comma:
        lines[last] = code + "," + line[len(code) :]
    indent = re.match(r"[ \t]*", line).group()
    lines.insert(last + 1, indent + item + ("," if trailing_comma else ""))
    return "\n".join(lines)


def _code(line):
    """A line without its comment (a # after a space, outside quotes)."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def _closing_bracket(text, start):
    """The index of the `]` that closes the flow list opened just before `start`."""
    depth, quote, i = 1, None, start
    while i < len(text):
        char = text[i]
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and text[i - 1] in " \t\n":
            i = text.find("\n", i)
            if i < 0:
                return None
            continue
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _add_to_block_list(text, name):
    match = BLOCK_START.search(text)
    if not match:
        return None
    lines = text[match.end() :].split("\n")[1:]  # the lines after `lessons:`
    offset = match.end() + 1  # where the first of them starts
    prefix = item_indent = None
    insert_at = match.end()  # after the last item; after `lessons:` if none
    position = offset
    for line in lines:
        item = BLOCK_ITEM.match(line)
        indent = len(line) - len(line.lstrip(" \t"))
        if item and (prefix is None or indent == item_indent):
            prefix = prefix or item.group(1)
            item_indent = indent
            insert_at = position + len(line)
        elif not line.strip() or line.lstrip().startswith("#"):
            pass  # blank lines and comments may sit between items
        elif prefix is not None and indent > item_indent:
            insert_at = position + len(line)  # an item continued on the next line
        else:
            break
        position += len(line) + 1
    return text[:insert_at] + "\n" + (prefix or "  - ") + _scalar(name) + text[insert_at:]


def _check_name(kind, name):
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise UsageError(
            f"invalid {kind} name {name!r}: use lower-case letters, digits and dashes, "
            "starting with a letter or digit (e.g. intro-to-levers)"
        )


def _refuse_existing(path):
    if path.exists():
        raise UsageError(f"{path} already exists; not overwriting it")


def _schema(root, path, model):
    """The schema file's path relative to the folder of `path`."""
    return Path(os.path.relpath(root / SCHEMA_FILES[model], path.parent)).as_posix()


def _lesson_text(root, course, name, path):
    schema = _schema(root, path, Lesson)
    return _fill(LESSON_TEMPLATE, schema, id=_scalar(name), name=name, title=_title(name), course=course)


def _fill(template, schema, **values):
    text = template.replace("@SCHEMA@", schema)
    for key, value in values.items():
        text = text.replace(f"@{key.upper()}@", value)
    return text


def _title(name):
    return name.replace("-", " ").strip().capitalize()


def _scalar(name):
    """`name` as a YAML scalar that reads back as the same string: plain when
    it can be, quoted when YAML would read it as a number or a boolean."""
    return name if yaml.safe_load(name) == name else f'"{name}"'
