"""`tutor lint`: every problem in a course library, each at its file and line.

Unlike loading (which stops at the first problem), lint reports all of them:
YAML and schema errors, duplicate and unknown ids, prerequisite cycles, and the
rubric checks that run the offline grader on each question's own reference
answer, misconception examples and labelled samples. See docs/authoring.md.
"""

import hashlib
import json
import re
import unicodedata
from dataclasses import astuple, dataclass
from pathlib import Path

from pydantic import ValidationError

from pockettutor.utils.errors import SourceError, printable
from pockettutor.utils.grading import grade, reveals, rubric_for
from pockettutor.utils.lessons import (
    ID_PATTERN,
    Course,
    Lesson,
    Question,
    ReadingPaths,
    Vocabulary,
    describe_error,
    model_for,
)
from pockettutor.utils.yaml_source import MAX_BYTES, load_yaml


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    column: int
    severity: str  # error | warning
    message: str

    def __str__(self):
        # A file name or a message can hold an escape sequence: never send one raw.
        return printable(f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message}")

    def as_json(self):
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "message": self.message,
        }


class FileReport:
    """The problems of one file, located through its parsed document."""

    def __init__(self, document):
        self.document = document
        self.problems = []

    def add(self, loc, message, severity="error"):
        line, column = self.document.position(loc)
        self.problems.append(Problem(str(self.document.path), line, column, severity, printable(message)))


def _schema_errors(report, model, data):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            # Duplicate ids are reported by _duplicates, at the duplicate itself.
            if error["type"] == "value_error" and "duplicate" in error["msg"]:
                continue
            report.add(error["loc"], describe_error(error))
        return None


def _list(data, key):
    """data[key] if it is a list: the schema check reports anything else."""
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, list) else []


def _items(data, key):
    value = data.get(key) if isinstance(data, dict) else None
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)] if isinstance(value, list) else []


def _duplicates(report, loc, items, kind):
    seen = set()
    for index, item in items:
        item_id = item.get("id")
        if not isinstance(item_id, str):
            continue
        if item_id in seen:
            report.add((*loc, index, "id"), f"duplicate {kind} id '{item_id}'")
        seen.add(item_id)


def _check_question(report, loc, raw, synonyms):
    """Rubric self-consistency: the grader must agree with the author."""
    try:
        question = Question.model_validate(raw)
    except ValidationError:
        return  # its schema errors are already reported
    _duplicates(report, (*loc, "key_ideas"), _items(raw, "key_ideas"), "key idea")
    _duplicates(report, (*loc, "misconceptions"), _items(raw, "misconceptions"), "misconception")
    reference = grade(question, question.reference_answer, synonyms)
    if reference.verdict != "correct":
        report.add(
            (*loc, "reference_answer"), f"the grader marks the reference answer {reference.verdict}, not correct"
        )
    elif reference.confidence != "strong":
        # A learner who gives the reference answer would be asked to confirm it.
        reversals = rubric_for(question, synonyms).reversals(question.reference_answer)
        against = [f"'{statement}' states '{idea_id}' the other way round" for idea_id, statement in reversals]
        report.add(
            (*loc, "reference_answer"),
            f"the reference answer is graded correct on {reference.confidence} evidence"
            + (f": {'; '.join(against)}" if against else ""),
            "warning",
        )
    for index, misconception in enumerate(question.misconceptions):
        if misconception.example is not None:
            verdict = grade(question, misconception.example, synonyms).verdict
            if verdict != "incorrect":
                report.add(
                    (*loc, "misconceptions", index, "example"),
                    f"the example of misconception '{misconception.id}' is graded {verdict}, not incorrect",
                )
    for index, sample in enumerate(question.samples):
        result = grade(question, sample.text, synonyms)
        if result.verdict != sample.label:
            why = [f"met: {', '.join(result.met) or 'none'}"]
            why += [f"holds: {', '.join(result.misconceptions)}"] if result.misconceptions else []
            report.add(
                (*loc, "samples", index, "label"),
                f"sample labelled {sample.label} is graded {result.verdict} ({'; '.join(why)})",
            )
    _check_phrasings(report, loc, question, synonyms)
    if not question.hints:
        report.add((*loc, "id"), f"question '{question.id}' has no hint", "warning")
    for index, hint in enumerate(question.hints):
        if grade(question, hint, synonyms).verdict == "correct":
            report.add((*loc, "hints", index), "this hint states the answer (the grader marks it correct)", "warning")


def _check_phrasings(report, loc, question, synonyms):
    """Key-idea phrasings that are weak evidence: one word after normalisation (a
    single word shows no understanding), or only words the prompt already supplies
    (they count for nothing on their own). Roles and opposites must be words
    the grader can swap."""
    rubric = rubric_for(question, synonyms)
    normaliser = rubric.normaliser
    for ii, idea in enumerate(question.key_ideas):
        for pi, phrasing in enumerate(idea.phrasings):
            words = normaliser.pattern(phrasing)
            where = (*loc, "key_ideas", ii, "phrasings", pi)
            if len(words) == 1:
                report.add(
                    where, f"phrasing '{phrasing}' shrinks to one word; one word shows no understanding", "warning"
                )
            elif words and all(word in rubric.prompt_words for word, _ in words):
                report.add(where, f"phrasing '{phrasing}' uses only words the prompt supplies", "warning")
    for ri, pair in enumerate(question.roles):
        for side, role in enumerate(pair):
            if len(normaliser.sequence(role)) != 1:
                report.add((*loc, "roles", ri, side), f"role '{role}' is not one word after synonyms")
    for word, opposite in question.opposites.items():
        for text in (word, opposite):
            if len(normaliser.sequence(text)) != 1:
                report.add((*loc, "opposites", word), f"opposite '{text}' is not one word")


def _check_lesson(report, data, context):
    path = report.document.path
    if isinstance(data.get("id"), str) and data["id"] != path.stem:
        report.add(("id",), f"lesson id '{data['id']}' differs from its file name '{path.stem}'")
    synonyms = data.get("synonyms") if isinstance(data.get("synonyms"), dict) else {}
    if not all(isinstance(v, list) and all(isinstance(w, str) for w in v) for v in synonyms.values()):
        synonyms = {}
    for index, ref in enumerate(_list(data, "prerequisites")):
        if isinstance(ref, str) and context.lesson_refs is not None and ref not in context.lesson_refs:
            report.add(("prerequisites", index), f"unknown prerequisite lesson '{ref}'")
    concepts = _items(data, "concepts")
    _duplicates(report, ("concepts",), concepts, "concept")
    _check_glossary(report, data, synonyms)
    _check_formulas(report, (), data)
    for ci, concept in concepts:
        analogies = _items(concept, "analogies")
        _duplicates(report, ("concepts", ci, "analogies"), analogies, "analogy")
        _duplicates(report, ("concepts", ci, "questions"), _items(concept, "questions"), "question")
        _duplicates(report, ("concepts", ci, "stretch"), _items(concept, "stretch"), "stretch")
        if isinstance(concept.get("analogies"), list) and len(concept["analogies"]) < 2:
            report.add(
                ("concepts", ci, "analogies"), f"concept '{concept.get('id')}' has fewer than 2 analogies", "warning"
            )
        _check_core(report, ("concepts", ci), concept)
        _check_diagrams(report, ("concepts", ci, "explanation"), concept.get("explanation"))
        for ai, analogy in analogies:
            _check_diagrams(report, ("concepts", ci, "analogies", ai, "text"), analogy.get("text"))
        for ai, analogy in analogies:
            term = analogy.get("term")
            if isinstance(term, str) and context.vocabulary is not None and term not in context.vocabulary:
                report.add(("concepts", ci, "analogies", ai, "term"), f"unknown vocabulary term '{term}'")
        for qi, question in _items(concept, "questions"):
            _check_question(report, ("concepts", ci, "questions", qi), question, synonyms)
            for mi, misconception in _items(question, "misconceptions"):
                _check_confused_with(
                    report,
                    ("concepts", ci, "questions", qi, "misconceptions", mi),
                    misconception,
                    {c.get("id") for _, c in concepts if isinstance(c.get("id"), str)},
                    context,
                )


# A diagram line this long still fits a panel on an 80-column terminal.
DIAGRAM_MAX_WIDTH = 74
DIAGRAM = re.compile(r"```text\n(.*?)```", re.DOTALL)


def _check_diagrams(report, loc, text):
    if not isinstance(text, str):
        return
    for block in DIAGRAM.findall(text):
        widest = max((len(line.rstrip()) for line in block.splitlines()), default=0)
        if widest > DIAGRAM_MAX_WIDTH:
            report.add(
                loc,
                f"a diagram line is {widest} characters wide; at most {DIAGRAM_MAX_WIDTH} keep it intact "
                "on an 80-column terminal",
                "warning",
            )


# Formulas are written in Unicode and shown as written: what a terminal cannot draw is an error.
# A $…$ span counts only with TeX inside it, so "$1 … $30" stays a pair of prices.
RAW_LATEX = re.compile(r"\\[A-Za-z]+|[\^_]\{|\$[^$\n]*[\\^_][^$\n]*\$")


def _check_formulas(report, loc, value):
    """Every text of a lesson, at its own line: no raw LaTeX, no combining accent (terminals draw
    it beside its letter, or not at all), nothing beyond the Basic Multilingual Plane (terminal
    fonts often lack it). See docs/lesson-format.md, "Formulas"."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_formulas(report, (*loc, key), item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_formulas(report, (*loc, index), item)
    elif isinstance(value, str):
        latex = RAW_LATEX.search(value)
        if latex:
            report.add(loc, f"raw LaTeX {latex.group()!r}: write the formula in Unicode, e.g. σ², ‖w‖₁, Σ, √n")
        for char in dict.fromkeys(value):
            if unicodedata.combining(char):
                report.add(
                    loc,
                    f"a combining accent (U+{ord(char):04X}) does not render reliably in a terminal: "
                    "use a precomposed letter (ŷ) or words (v_hat)",
                )
            elif ord(char) > 0xFFFF:
                report.add(
                    loc,
                    f"{char!r} (U+{ord(char):05X}) is beyond what terminal fonts reliably have: "
                    "write it with plain letters, e.g. E[·], N(0, 1)",
                )


# A core is read before the question; past this it is no longer short.
CORE_MAX_WORDS = 120


def _check_core(report, loc, concept):
    if isinstance(concept.get("questions"), list) and not concept.get("stretch"):
        report.add(
            (*loc, "id"),
            f"concept '{concept.get('id')}' has no stretch question: a learner who answers right at "
            "the first try is never pushed further",
            "warning",
        )
    core = concept.get("core")
    if core is None:
        report.add(
            (*loc, "id"),
            f"concept '{concept.get('id')}' has no core: a learner who asked for short explanations "
            "gets the whole explanation, and a recap its opening paragraphs",
            "warning",
        )
    elif isinstance(core, str) and len(core.split()) > CORE_MAX_WORDS:
        report.add((*loc, "core"), f"the core has {len(core.split())} words; keep it to {CORE_MAX_WORDS}", "warning")


def _check_glossary(report, data, synonyms):
    """Every lesson has a glossary, and no entry answers a question of the lesson."""
    entries = _items(data, "glossary")
    if not entries and isinstance(data.get("concepts"), list):
        report.add(("id",), "no glossary: questions back about a term get only sentences of the explanation", "warning")
        return
    questions = []
    for _, concept in _items(data, "concepts"):
        for _, raw in _items(concept, "questions"):
            try:
                questions.append(Question.model_validate(raw))
            except ValidationError:
                pass  # its schema errors are already reported
    seen = set()
    for index, entry in entries:
        term, meaning = entry.get("term"), entry.get("meaning")
        if isinstance(term, str):
            if term.lower() in seen:
                report.add(("glossary", index, "term"), f"duplicate glossary term '{term}'")
            seen.add(term.lower())
        if not isinstance(meaning, str):
            continue
        for question in questions:
            if reveals(question, meaning, synonyms):
                report.add(
                    ("glossary", index, "meaning"),
                    f"the meaning of '{term}' states the answer to question '{question.id}'; "
                    "the tutor will not quote it while that question is open",
                    "warning",
                )
                break


def _check_confused_with(report, loc, misconception, concept_ids, context):
    """A concept of this lesson, or of a lesson the library has (its concepts are
    not read here: that would parse every lesson for every file)."""
    ref = misconception.get("confused_with")
    if not isinstance(ref, str):
        return
    if "/" not in ref and ref not in concept_ids:
        report.add((*loc, "confused_with"), f"no concept '{ref}' in this lesson")
    lesson_ref = ref.rsplit("/", 1)[0]
    if "/" in ref and context.lesson_refs is not None and lesson_ref not in context.lesson_refs:
        report.add((*loc, "confused_with"), f"unknown lesson '{lesson_ref}'")


def _check_course(report, data, context):
    folder = report.document.path.parent
    if isinstance(data.get("id"), str) and data["id"] != folder.name:
        report.add(("id",), f"course id '{data['id']}' differs from its folder '{folder.name}'")
    seen = set()
    for index, lesson_id in enumerate(_list(data, "lessons")):
        if not isinstance(lesson_id, str) or not re.match(ID_PATTERN, lesson_id):
            continue  # the schema check reports a lesson id that is not a plain name
        if lesson_id in seen:
            report.add(("lessons", index), f"lesson '{lesson_id}' is listed twice")
        seen.add(lesson_id)
        if not _is_file(folder / f"{lesson_id}.yaml"):
            report.add(("lessons", index), f"no lesson file {lesson_id}.yaml beside this course")
    for index, ref in enumerate(_list(data, "prerequisites")):
        if isinstance(ref, str) and context.course_ids is not None and ref not in context.course_ids:
            report.add(("prerequisites", index), f"unknown prerequisite course '{ref}'")


def _is_file(path):
    try:
        return path.is_file()
    except OSError:  # e.g. a name longer than the file system allows
        return False


def _check_vocabulary(report, data, context):
    _duplicates(report, ("terms",), _items(data, "terms"), "vocabulary term")
    for index, term in _items(data, "terms"):
        ref = term.get("introduced_in")
        if isinstance(ref, str) and context.lesson_refs is not None and ref not in context.lesson_refs:
            report.add(("terms", index, "introduced_in"), f"unknown lesson '{ref}'", "warning")


def _check_paths(report, data, context):
    _duplicates(report, ("paths",), _items(data, "paths"), "reading path")
    known = (context.lesson_refs or set()) | (context.course_ids or set())
    for pi, reading_path in _items(data, "paths"):
        for si, step in enumerate(_list(reading_path, "steps")):
            if isinstance(step, str) and context.lesson_refs is not None and step not in known:
                report.add(("paths", pi, "steps", si), f"unknown course or lesson '{step}'")


CHECKS = {Lesson: _check_lesson, Course: _check_course, Vocabulary: _check_vocabulary, ReadingPaths: _check_paths}


class LibraryContext:
    """What cross-references resolve against: the library a file belongs to,
    which may span several lesson folders (the shipped one, the user's, added
    ones). No roots where there is no library around the file (then nothing is
    'unknown')."""

    def __init__(self, roots):
        self.roots = roots
        self.vocabulary = self.lesson_refs = self.course_ids = None
        self._fingerprint = None
        # path -> [(prerequisite, line, column)]: all the cycle check needs, so
        # no parsed file is kept in memory once it has been checked.
        self.prerequisites = {}
        # Ids defined in more than one folder, each at its second definition.
        self.clashes = []
        if not roots:
            return
        vocabularies = [root / "vocabulary.yaml" for root in roots if (root / "vocabulary.yaml").is_file()]
        self.vocabulary = self._unique("vocabulary term", vocabularies, self._term_ids) if vocabularies else None
        course_files = [path for root in roots for path in sorted(root.glob("*/course.yaml"))]
        self.course_ids = self._unique("course", course_files, lambda path: [(path.parent.name, ("id",))])
        self.lesson_refs = set()
        for course_file in course_files:
            data = self._data(course_file)
            lessons = data.get("lessons") if isinstance(data, dict) else None
            for lesson_id in lessons if isinstance(lessons, list) else []:
                if isinstance(lesson_id, str):
                    self.lesson_refs.add(f"{course_file.parent.name}/{lesson_id}")

    def _term_ids(self, path):
        return [
            (item["id"], ("terms", index))
            for index, item in _items(self._data(path), "terms")
            if isinstance(item.get("id"), str)
        ]

    def _unique(self, kind, paths, ids_of):
        seen = {}
        for path in paths:
            for item_id, loc in ids_of(path):
                if item_id in seen and seen[item_id] != path:
                    line, column = self._position(path, loc)
                    message = (
                        f"{kind} '{item_id}' is also defined in {seen[item_id]}; ids must differ across lesson folders"
                    )
                    self.clashes.append(Problem(str(path), line, column, "error", message))
                seen.setdefault(item_id, path)
        return set(seen)

    def _position(self, path, loc):
        try:
            return load_yaml(path).position(loc)
        except SourceError:
            return 1, 1

    def fingerprint(self):
        """What a file's cross-references resolve against, as one hash (for the lint cache)."""
        if self._fingerprint is None:
            parts = [
                sorted(ids) if ids is not None else None for ids in (self.vocabulary, self.course_ids, self.lesson_refs)
            ]
            self._fingerprint = hashlib.sha256(json.dumps(parts).encode()).hexdigest()
        return self._fingerprint

    def _data(self, path):
        try:
            document = load_yaml(path)
        except SourceError:
            return None
        return document.data


def _ids(data, key):
    return [item.get("id") for _, item in _items(data, key) if isinstance(item.get("id"), str)]


def find_library_root(path):
    """The nearest folder at or above `path` that looks like a library."""
    path = Path(path).resolve()
    for folder in [path, *path.parents] if path.is_dir() else list(path.parents):
        if (folder / "vocabulary.yaml").is_file() or any(folder.glob("*/course.yaml")):
            return folder
    return None


def lint_file(path, context):
    """All problems of one file."""
    path = Path(path)
    try:
        document = load_yaml(path)
    except SourceError as exc:
        return [Problem(exc.path, exc.line or 1, exc.column or 1, "error", exc.message)]
    if isinstance(document.data, dict):
        context.prerequisites[path.resolve()] = (
            str(document.path),
            [
                (item, *document.position(("prerequisites", index)))
                for index, item in enumerate(_list(document.data, "prerequisites"))
                if isinstance(item, str)
            ],
        )
    report = FileReport(document)
    model = model_for(path)
    if document.not_a_mapping():
        report.add((), document.not_a_mapping())
        return report.problems
    _schema_errors(report, model, document.data)
    CHECKS[model](report, document.data, context)
    return report.problems


def _check_files(files, context, cache, workers):
    """Every file's findings: a lesson's from the cache when nothing they depend on changed
    (course files are always checked: their findings depend on which lesson files exist),
    the rest checked, in worker processes when there are enough of them to pay for starting
    the workers."""
    problems, todo = [], []
    for path in map(Path, files):
        content = _cacheable_bytes(path) if cache is not None and model_for(path) is Lesson else None
        key = cache.key(path, content, context.fingerprint()) if content is not None else None
        entry = cache.get(key) if key else None
        if entry is None:
            todo.append((path, key))
            continue
        if entry["prerequisites"] is not None:
            shown, items = entry["prerequisites"]
            context.prerequisites[path.resolve()] = (shown, [tuple(item) for item in items])
        problems += [Problem(*fields) for fields in entry["problems"]]
    paths = [path for path, _ in todo]
    if workers > 1 and len(paths) >= PARALLEL_FROM:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(min(workers, len(paths)), initializer=_worker_start, initargs=(context,)) as pool:
            results = list(pool.map(_worker_check, paths, chunksize=max(1, len(paths) // (4 * workers))))
    else:
        results = [_check(path, context) for path in paths]
    for (path, key), (found, prerequisites) in zip(todo, results, strict=True):
        if prerequisites is not None:
            context.prerequisites[path.resolve()] = prerequisites
        if key:
            cache.put(key, {"problems": [list(astuple(p)) for p in found], "prerequisites": prerequisites})
        problems += found
    return problems


def _cacheable_bytes(path):
    """A regular lesson file's bytes, or None: a FIFO, a device, a file too large or one that
    cannot be read is left to lint_file, which reports it without ever blocking on it."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            return None
        with path.open("rb") as handle:
            content = handle.read(MAX_BYTES + 1)
    except OSError:
        return None
    return content if len(content) <= MAX_BYTES else None


# Below this many files to check, starting worker processes costs more than it saves.
PARALLEL_FROM = 16


def _check(path, context):
    found = lint_file(path, context)
    return found, context.prerequisites.get(path.resolve())


_worker_context = None  # set once in each worker process by _worker_start


def _worker_start(context):
    global _worker_context
    _worker_context = context


def _worker_check(path):
    return _check(path, _worker_context)


def library_files(root):
    root = Path(root)
    files = [root / name for name in ("vocabulary.yaml", "paths.yaml") if (root / name).is_file()]
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and (p / "course.yaml").is_file()):
        files.append(folder / "course.yaml")
        files += sorted(p for p in folder.glob("*.yaml") if p.name != "course.yaml")
    return files


def _cycles(context):
    """Prerequisite cycles among courses and among lessons, reported at the
    prerequisite entry that closes each cycle."""
    problems = []
    graphs = {"course": {}, "lesson": {}}
    where = {}
    for path, (shown, prerequisites) in context.prerequisites.items():
        if path.name == "course.yaml":
            kind, node = "course", path.parent.name
        elif model_for(path) is Lesson:
            kind, node = "lesson", f"{path.parent.name}/{path.stem}"
        else:
            continue
        graphs[kind][node] = [p for p, _, _ in prerequisites]
        for prerequisite, line, column in prerequisites:
            where[(kind, node, prerequisite)] = (shown, line, column)
    for kind, graph in graphs.items():
        done = set()
        for start in sorted(graph):
            if start in done:
                continue
            # Depth-first without recursion: a chain of thousands of lessons is fine.
            path, stack = [start], [iter(graph.get(start, []))]
            while stack:
                nxt = next(stack[-1], None)
                if nxt is None:
                    done.add(path.pop())
                    stack.pop()
                elif nxt in path:
                    shown, line, column = where[(kind, path[-1], nxt)]
                    cycle = " -> ".join([*path[path.index(nxt) :], nxt])
                    problems.append(Problem(shown, line, column, "error", f"{kind} prerequisite cycle: {cycle}"))
                elif nxt not in done:
                    path.append(nxt)
                    stack.append(iter(graph.get(nxt, [])))
    return problems


def lint(paths, roots=(), cache=None, workers=1):
    """Problems in `paths` (files or library folders), sorted by place. `roots`
    are the lesson folders the tutor reads together: a file in one of them is
    checked against all of them. With a LintCache, an unchanged file in an
    unchanged library is not checked again; with workers > 1, many files are
    checked in that many processes."""
    problems = []
    roots = [Path(root).resolve() for root in roots if Path(root).is_dir()]
    shared = LibraryContext(roots) if roots else None
    if shared:
        problems += shared.clashes
    for target in paths:
        target = Path(target)
        if not target.exists():
            problems.append(Problem(str(target), 1, 1, "error", "no such file or folder"))
            continue
        root = find_library_root(target)
        context = shared if shared and root in roots else LibraryContext([root] if root else [])
        files = (
            library_files(target)
            if target.is_dir() and root == target.resolve()
            else (sorted(target.rglob("*.yaml")) if target.is_dir() else [target])
        )
        problems += _check_files(files, context, cache, workers)
        problems += _cycles(context)
    return sorted(set(problems))


def summary(problems):
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
