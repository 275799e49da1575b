"""`tutor disputes`: the verdicts learners disputed with /disagree, listed for
instructors, and resolved into labelled samples of the lesson's question.

A learner's disputes file (`disputes/NAME.jsonl` in a data folder) is only ever
appended to: by the learner's sessions, and here by one resolution record per
resolved dispute (`{"resolves": ID, "status": "resolved", "label", "at", "sample"}`).
A session may be appending while an instructor resolves, so the file is never
rewritten, and a dispute's id, a hash of its own line, stays the same for good.
"""

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from pockettutor.utils.errors import SourceError, TutorError, UsageError, visible
from pockettutor.utils.lessons import Lesson, shipped_library, validate_document
from pockettutor.utils.yaml_source import parse_yaml, read_source

LABELS = ("correct", "partial", "incorrect")
ID_LENGTH = 8


@dataclass
class Dispute:
    id: str
    learner: str
    file: Path  # the learner's disputes file
    line: int  # the dispute's line in it
    record: dict
    resolution: dict | None = None

    @property
    def status(self):
        return "resolved" if self.resolution else self.record.get("status", "open")

    @property
    def question_ref(self):
        return str(self.record.get("question", ""))


def dispute_id(line):
    """A dispute's id: the start of its line's hash, the same in any folder it is copied to
    and after the learner is renamed."""
    return hashlib.sha256(line.strip()).hexdigest()[:ID_LENGTH]


def parse_targets(words, default_folder):
    """`[resolve] [DIR...] [ID...]`: whether to resolve, the data folders, the dispute ids.
    A word is a folder when one exists by that name, else it must look like an id."""
    resolving = bool(words) and words[0] == "resolve"
    folders, ids = [], []
    for word in words[resolving:]:
        path = Path(word).expanduser()
        if path.is_dir():
            if not (path / "disputes").is_dir() and not (path / "profiles").is_dir():
                raise UsageError(f"{path} is not a tutor data folder (it has no disputes/ or profiles/ folder)")
            folders.append(path)
        elif len(word) == ID_LENGTH and all(ch in "0123456789abcdef" for ch in word):
            ids.append(word)
        else:
            raise UsageError(f"'{word}' is neither a data folder nor a dispute id (see `tutor disputes`)")
    return resolving, folders or [Path(default_folder)], ids


def read_disputes(folders):
    """Every dispute in the data folders, oldest first, each with its resolution if it has one."""
    found = []
    for folder in folders:
        for path in sorted((Path(folder) / "disputes").glob("*.jsonl")):
            found += _read_file(path)
    return sorted(found, key=lambda d: (str(d.record.get("at", "")), d.learner, d.line))


def _read_file(path):
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    disputes, resolutions = [], {}
    for number, line in enumerate(raw.split(b"\n"), 1):
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a blank line, or one torn by a killed session
        if not isinstance(record, dict):
            continue
        if isinstance(record.get("resolves"), str):
            resolutions[record["resolves"]] = record
        elif isinstance(record.get("question"), str) and isinstance(record.get("answer"), str):
            disputes.append(Dispute(dispute_id(line), path.stem, path, number, record))
    for dispute in disputes:
        dispute.resolution = resolutions.get(dispute.id)
    return disputes


@dataclass
class Target:
    """Where a disputed question lives now."""

    question: object  # lessons.Question
    concept_id: str
    question_id: str
    path: Path  # the lesson file
    root: Path  # the lesson folder it is in


def find_target(library, ref):
    """The question a dispute is about, or a UsageError saying why it is gone."""
    parts = ref.split("/")
    if len(parts) != 4:
        raise UsageError(f"'{ref}' does not name a question (COURSE/LESSON/CONCEPT/QUESTION)")
    course_id, lesson_id, concept_id, question_id = parts
    lesson_ref = f"{course_id}/{lesson_id}"
    if lesson_ref not in library.lesson_refs():
        raise UsageError(f"the lesson {lesson_ref} is no longer in the library ({library.describe_roots()})")
    lesson = library.lesson(lesson_ref)
    for concept in lesson.concepts:
        for question in concept.questions if concept.id == concept_id else ():
            if question.id == question_id:
                folder = library.course_folder(course_id)
                return Target(question, concept_id, question_id, folder / f"{lesson_id}.yaml", folder.parent)
    raise UsageError(f"the question {ref} is no longer in its lesson")


def describe(dispute, question=None):
    """The dispute as lines of plain text: who, when, the question, the answer, the
    verdict with its evidence, and the learner's reason."""
    record = dispute.record
    status = dispute.status
    if dispute.resolution:
        status += f" as {dispute.resolution.get('label')} ({dispute.resolution.get('at', '')})"
    lines = [f"{dispute.id}  {status}  {dispute.learner}  {record.get('at', '')}"]
    prompt = f": {question.prompt}" if question is not None else " (no longer in the library)"
    lines.append(f"  question: {dispute.question_ref}{prompt}")
    lines += _field("answer", record.get("answer", ""))
    lines.append(
        f"  verdict: {record.get('verdict')} ({record.get('confidence', 'strong')} evidence, "
        f"{record.get('engine', 'offline')} engine)"
    )
    ideas = {idea.id: idea.description for idea in question.key_ideas} if question is not None else {}
    for kind in ("met", "missed", "misconceptions", "reversed"):
        if _items(record, kind):
            lines.append(f"  {kind}: " + "; ".join(_named(item, ideas) for item in _items(record, kind)))
    evidence_items = [item for item in _items(record, "evidence") if isinstance(item, dict)]
    if not evidence_items:
        lines.append("  evidence: no statement of the answer matched the rubric")
    for evidence in evidence_items:
        lines.append(f'  evidence: {evidence.get("kind")} {evidence.get("id")}: "{evidence.get("quote", "")}"')
    lines += _field("reason", record.get("reason") or "(none given)")
    return [visible(line) for line in lines]


def _field(name, text):
    first, *rest = str(text).splitlines() or [""]
    return [f"  {name}: {first}", *(f"    {line}" for line in rest)]


def _items(record, key):
    """A list field of a dispute record; anything else (a hand-edited file) as none."""
    value = record.get(key)
    return value if isinstance(value, list) else []


def _named(item_id, ideas):
    return f"{item_id} ({ideas[item_id]})" if isinstance(item_id, str) and item_id in ideas else str(item_id)


def as_json(dispute, question=None):
    record = dispute.record
    evidence = {key: record.get(key, []) for key in ("met", "missed", "misconceptions", "reversed", "evidence")}
    return {
        "id": dispute.id,
        "learner": dispute.learner,
        "file": str(dispute.file),
        "line": dispute.line,
        "status": dispute.status,
        "at": record.get("at"),
        "question": dispute.question_ref,
        "prompt": question.prompt if question is not None else None,
        "answer": record.get("answer"),
        "verdict": record.get("verdict"),
        "confidence": record.get("confidence"),
        "engine": record.get("engine"),
        **evidence,
        "reason": record.get("reason"),
        "resolution": dispute.resolution,
    }


def question_or_none(library, ref):
    """For listing: the question, or None when it is gone or its lesson cannot be read."""
    try:
        return find_target(library, ref).question
    except TutorError:
        return None


def listing(disputes, library, include_resolved=False):
    """(dispute, question) pairs to show: the open ones, or all of them."""
    return [(d, question_or_none(library, d.question_ref)) for d in disputes if include_resolved or d.status == "open"]


def listing_json(shown, disputes):
    open_count = sum(d.status == "open" for d in disputes)
    entries = [as_json(dispute, question) for dispute, question in shown]
    return {"disputes": entries, "open": open_count, "resolved": len(disputes) - open_count}


def listing_text(shown, disputes, folders):
    blocks = ["\n".join(describe(dispute, question)) + "\n" for dispute, question in shown]
    open_count = sum(d.status == "open" for d in disputes)
    where = ", ".join(str(folder) for folder in folders)
    if open_count:
        blocks.append(f"{open_count} open in {where}: `tutor disputes resolve` labels them one by one.")
    else:
        blocks.append(f"No open disputes in {where}.")
    return "\n".join(blocks)


def editable_problem(target, shipped=None):
    """Why samples may not be written into the target's lesson file, or None. The lessons
    installed with the tutor are replaced by an upgrade: they are written only when they
    are a source checkout (a pyproject.toml beside lessons/), as `tutor new` never writes there."""
    shipped = Path(shipped_library() if shipped is None else shipped)
    if target.root.resolve() == shipped.resolve() and not (shipped.parent / "pyproject.toml").is_file():
        return (
            f"{target.path} is one of the lessons installed with the tutor, which an upgrade replaces: copy "
            f"{shipped} to a folder of your own, `tutor config set lessons THAT_FOLDER` and "
            "`tutor config set shipped_lessons false`, then resolve again"
        )
    lesson = target.path.resolve()
    if not os.access(lesson, os.W_OK) or not os.access(lesson.parent, os.W_OK):
        return f"cannot write {target.path}: permission denied"
    return None


@dataclass
class Outcome:
    resolved: int = 0
    skipped: int = 0
    problems: list = field(default_factory=list)
    stopped: bool = False


def resolve(disputes, ids, library, console, label=None, shipped=None, lint_roots=None):
    """Label disputes through the console: each open one, or those `ids` names. With
    `label` (and ids) nothing is asked. A label adds the answer as a sample to the
    question's lesson file, marks the dispute resolved, and lints the file."""
    if label is not None and not ids:
        raise UsageError("--label needs the ids of the disputes it labels (see `tutor disputes`)")
    unknown = sorted(set(ids) - {d.id for d in disputes})
    if unknown:
        raise UsageError(f"no dispute {', '.join(unknown)} in these folders (see `tutor disputes --all`)")
    outcome = Outcome()
    chosen = [d for d in disputes if d.id in ids] if ids else [d for d in disputes if d.status == "open"]
    if not chosen:
        console.line("No open disputes: nothing to resolve.")
        return outcome
    for number, dispute in enumerate(chosen, 1):
        if dispute.status != "open":
            console.line(f"{dispute.id} is already resolved as {dispute.resolution.get('label')}; left as it is.")
            continue
        try:
            target = find_target(library, dispute.question_ref)
        except TutorError as exc:
            _problem(console, outcome, f"{dispute.id}: {exc}; skipped")
            continue
        problem = editable_problem(target, shipped) or _unwritable(dispute.file)
        if problem:
            _problem(console, outcome, f"{dispute.id}: {problem}")
            continue
        chosen_label = label
        if chosen_label is None:
            console.rule(f"dispute {number} of {len(chosen)}")
            for line in describe(dispute, target.question):
                console.line(line)
            chosen_label = _ask_label(console)
            if chosen_label == "quit":
                outcome.stopped = True
                break
            if chosen_label == "skip":
                outcome.skipped += 1
                continue
        try:
            _apply(dispute, target, chosen_label, console, library.roots if lint_roots is None else lint_roots)
        except TutorError as exc:
            _problem(console, outcome, f"{dispute.id}: {exc}")
            continue
        outcome.resolved += 1
    left = len(chosen) - outcome.resolved - outcome.skipped - len(outcome.problems)
    summary = f"{outcome.resolved} resolved, {outcome.skipped} skipped"
    summary += f", {len(outcome.problems)} not resolvable (above)" if outcome.problems else ""
    summary += f"; stopped with {left} left open" if outcome.stopped else ""
    console.line(summary + ".")
    return outcome


def _problem(console, outcome, message):
    outcome.problems.append(message)
    console.notice(message)


def _unwritable(path):
    return None if os.access(path, os.W_OK) else f"cannot mark it resolved in {path}: permission denied"


def _ask_label(console):
    """correct, partial, incorrect, skip or quit (a word or its first letter); end of input is quit."""
    choices = (*LABELS, "skip", "quit")
    while True:
        try:
            reply = console.ask("Label: correct, partial, incorrect, skip or quit? ").strip().lower()
        except EOFError:
            return "quit"
        chosen = [choice for choice in choices if reply and choice.startswith(reply)]
        if len(chosen) == 1:
            return chosen[0]
        console.notice("Type correct, partial or incorrect (or c, p, i), skip or quit.")


def _apply(dispute, target, label, console, lint_roots):
    from pockettutor.utils.sample_insert import add_sample

    shown = target.path
    real = shown.resolve()  # a linked lesson file is edited where it lives
    try:
        text = read_source(real).decode("utf-8")
    except UnicodeDecodeError:
        raise SourceError(shown, "not UTF-8 text") from None
    answer = str(dispute.record.get("answer", ""))
    edit = add_sample(text, shown, target.concept_id, target.question_id, answer, label)
    if edit.text is None and edit.existing_label != label:
        raise SourceError(
            shown,
            f"this answer is a sample already, labelled {edit.existing_label}; change that label if it "
            f"should be {label}, then resolve again",
            edit.first_line,
        )
    if edit.text is not None:
        try:
            validate_document(Lesson, parse_yaml(edit.text, shown))
        except SourceError as exc:
            raise SourceError(shown, f"the answer cannot be a sample: {exc.message}", exc.line, exc.column) from None
        _write_keeping_mode(real, edit.text)
    _mark_resolved(dispute, label, f"{shown}:{edit.first_line}")
    where = f"{shown}:{edit.first_line}"
    console.line(
        f"{dispute.id}: labelled {label}; "
        + (f"sample added at {where}." if edit.text is not None else f"it is a sample already, at {where}.")
    )
    _report_lint(console, shown, edit, label, lint_roots)


def _write_keeping_mode(path, text):
    from pockettutor.utils.profiles import atomic_write_text

    mode = stat.S_IMODE(path.stat().st_mode)
    atomic_write_text(path, text)
    os.chmod(path, mode)  # the lesson keeps who may read it; a temp file is private


def _mark_resolved(dispute, label, sample):
    from pockettutor.utils.transcripts import Transcript

    record = {
        "resolves": dispute.id,
        "status": "resolved",
        "label": label,
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "sample": sample,
    }
    disputes_file = Transcript(dispute.file)
    disputes_file.append(record)
    disputes_file.sync()
    dispute.resolution = record


def _report_lint(console, shown, edit, label, roots):
    """Whether the rubric grades the sample as labelled: lint's findings on its lines."""
    from pockettutor.utils.lint import lint

    findings = [
        problem
        for problem in lint([shown], roots=roots)
        if problem.severity == "error" and edit.first_line <= problem.line <= edit.last_line
    ]
    if not findings:
        console.line(f"The rubric grades it {label}, as labelled.")
    for problem in findings:
        console.notice(f"{problem}: change the rubric until `tutor lint` passes")
