"""Learner profiles: what the tutor remembers between sessions.

One YAML file per learner under the data directory (TUTOR_HOME overrides it),
written atomically after every turn so a crash loses at most the turn in flight.
Each save also refreshes NAME.yaml.bak, the last copy the tutor wrote, which is
what a profile that cannot be read is restored from. A session holds a lock on
its profile so two sessions never overwrite each other's turns.
"""

import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from glob import escape as glob_escape
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from pockettutor.utils.errors import SourceError, UsageError
from pockettutor.utils.journal import Journal, apply, changes, image_of
from pockettutor.utils.lessons import Style, describe_error
from pockettutor.utils.yaml_source import load_yaml

SCHEMA_VERSION = 3
NAME_CHARS = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
NAME_PATTERN = rf"^{NAME_CHARS}$"


class AnalogyRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lesson: str
    concept: str
    analogy: str
    outcome: Literal["shown", "worked", "failed"] = "shown"
    style: Style | None = None  # the analogy's main style, for noticing which styles work
    term: str | None = None  # its shared-vocabulary term, to bring it back later
    text: str | None = None  # kept for analogies the LLM wrote, which no lesson file holds


class StyleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: str  # ISO timestamp
    previous: Style | None = None
    chosen: Style
    reason: str


class LessonProgress(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["in_progress", "complete"] = "in_progress"
    concept: str | None = None
    question: str | None = None
    explained: bool = False
    skipped: list[str] = []


class LedgerIndex:
    """The analogy ledger by concept, with running counts per style and per
    vocabulary term of the analogies that worked or failed."""

    def __init__(self, records):
        self.by_concept = {}  # (lesson, concept) -> positions in the ledger, oldest first
        self.styles = {}  # style -> [worked, failed]
        self.worked_terms = {}  # term -> analogies of it that worked
        self.size = 0
        for position, record in enumerate(records):
            self.add(position, record)

    def add(self, position, record):
        if position == self.size:
            self.by_concept.setdefault((record.lesson, record.concept), []).append(position)
            self.size += 1
        self._count(record, 1)

    def forget(self, record):
        """Take a record's outcome out of the counts, before it changes."""
        self._count(record, -1)

    def _count(self, record, step):
        if record.outcome == "shown":
            return
        if record.style:
            self.styles.setdefault(record.style, [0, 0])[record.outcome == "failed"] += step
        if record.term and record.outcome == "worked":
            self.worked_terms[record.term] = self.worked_terms.get(record.term, 0) + step


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
    # Since version 2:
    mastery: dict[str, float] = {}  # COURSE/LESSON/CONCEPT -> probability the concept is known
    reviews: dict[str, dict] = {}  # COURSE/LESSON/CONCEPT/QUESTION -> fsrs card state
    style_changes: list[StyleChange] = []
    active_days: list[str] = []  # ISO dates with at least one answer, for the streak
    _index: "LedgerIndex | None" = PrivateAttr(default=None)
    _changed_records: set = PrivateAttr(default_factory=set)

    def __eq__(self, other):
        # The ledger index and change marks are working state, not part of the learner's record.
        return type(other) is type(self) and self.__dict__ == other.__dict__

    def progress(self, lesson_ref):
        return self.lessons.setdefault(lesson_ref, LessonProgress())

    def _records_of(self, lesson_ref, concept_id):
        return [self.analogies[i] for i in self._ledger().by_concept.get((lesson_ref, concept_id), ())]

    def failed_analogies(self, lesson_ref, concept_id):
        return {r.analogy for r in self._records_of(lesson_ref, concept_id) if r.outcome == "failed"}

    def shown_analogies(self, lesson_ref, concept_id):
        return [r.analogy for r in self._records_of(lesson_ref, concept_id)]

    def worked_analogies(self, lesson_ref, concept_id):
        return [r.analogy for r in self._records_of(lesson_ref, concept_id) if r.outcome == "worked"]

    def written_analogies(self, lesson_ref, concept_id):
        """Records of the analogies an LLM wrote for this concept, oldest first."""
        return [r for r in self._records_of(lesson_ref, concept_id) if r.text is not None]

    def record_analogy(self, lesson_ref, concept_id, analogy, text=None):
        self.analogies.append(
            AnalogyRecord(
                lesson=lesson_ref,
                concept=concept_id,
                analogy=analogy.id,
                # A written analogy's style is whatever the LLM made of it: no evidence.
                style=analogy.styles[0] if text is None else None,
                term=analogy.term,
                text=text,
            )
        )
        self._ledger().add(len(self.analogies) - 1, self.analogies[-1])

    def record_answer(self, lesson_ref, concept_id, verdict, hints_used, attempt, today, practised=True):
        """A graded answer (or "I don't know", not practised) is evidence about the
        concept (Bayesian Knowledge Tracing)."""
        from pockettutor.utils.mastery import P_INIT, credit, update

        key = f"{lesson_ref}/{concept_id}"
        evidence = credit(verdict, hints_used, attempt)
        self.mastery[key] = round(update(self.mastery.get(key, P_INIT), evidence, practised), 4)
        if today.isoformat() not in self.active_days:
            self.active_days.append(today.isoformat())

    def schedule_review(self, lesson_ref, concept_id, question_id, verdict, hints_used, attempt, now):
        """A question left (answered or skipped) goes on the spaced-review schedule."""
        from pockettutor.utils.reviews import schedule

        key = f"{lesson_ref}/{concept_id}/{question_id}"
        self.reviews[key] = schedule(self.reviews.get(key), verdict, hints_used, attempt, now)

    def familiar_terms(self):
        """Vocabulary terms whose analogies led this learner to a right answer."""
        return {term for term, count in self._ledger().worked_terms.items() if count}

    def style_counts(self):
        """style -> (worked, failed) over the analogies whose outcome is known."""
        return {style: tuple(counts) for style, counts in self._ledger().styles.items() if any(counts)}

    def change_style(self, chosen, reason):
        self.style_changes.append(
            StyleChange(
                at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                previous=self.thinking_style,
                chosen=chosen,
                reason=reason,
            )
        )
        self.thinking_style = chosen

    def record_outcome(self, lesson_ref, concept_id, verdict):
        """The analogy shown last for this concept led to `verdict`: it worked
        on a correct answer and failed on an incorrect one."""
        shown = self._ledger().by_concept.get((lesson_ref, concept_id))
        if not shown:
            return
        record = self.analogies[shown[-1]]
        if record.outcome == "shown" and verdict in ("correct", "incorrect"):
            self._ledger().forget(record)
            record.outcome = "worked" if verdict == "correct" else "failed"
            self._ledger().add(shown[-1], record)
            self._changed_records.add(shown[-1])

    def _ledger(self):
        """The analogy records indexed, so a turn never scans a year of them. Rebuilt
        whenever the list was changed behind the index's back."""
        if self._index is None or self._index.size != len(self.analogies):
            self._index = LedgerIndex(self.analogies)
        return self._index

    def wants_short(self):
        """The learner asked for short explanations (at onboarding, or in their notes)."""
        said = " ".join([*self.preferences, self.notes or ""]).lower()
        return bool(re.search(r"\b(short|shorter|brief|concise|to the point|tl;?dr|less text|quick)\b", said))

    def wants_push(self):
        """The learner asked to be pushed or challenged."""
        said = " ".join([*self.preferences, self.notes or ""]).lower()
        return bool(
            re.search(r"\b(push|pushed|challenge|challenged|challenging|harder|stretch|hard questions)\b", said)
        )

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
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
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


def _from_version_1(data):
    """Version 2 added mastery, review cards and the record of style changes,
    all empty for a version-1 learner; nothing else moved."""
    return {**data, "schema_version": 2}


def _from_version_2(data):
    """Version 3 keeps the saves since the last full one in NAME.journal, and the
    file says which of them it already holds (journal_seq). A version-2 profile
    has no journal: it holds everything."""
    return {**data, "schema_version": 3, "journal_seq": 0}


# schema_version -> the step that lifts a profile of that version by one.
MIGRATIONS = {1: _from_version_1, 2: _from_version_2}


class NewerProfile(ValueError):
    """A profile written by a newer tutor: readable, just not by this one."""


def migrate(data):
    """A profile's data lifted to SCHEMA_VERSION; a profile without a version is
    version 1, which predates the field being written."""
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or version < 1:
        raise ValueError(f"schema_version {version!r} is not a version this tutor knows")
    if version > SCHEMA_VERSION:
        raise NewerProfile(
            f"schema_version {version} was written by a newer tutor (this one reads up to {SCHEMA_VERSION}); "
            "upgrade PocketTutor to open it"
        )
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version = data["schema_version"]
    return data


def _is_date(text):
    try:
        date.fromisoformat(text)
        return True
    except (TypeError, ValueError):
        return False


def _is_card(key, card):
    """A review entry the scheduler can use: COURSE/LESSON/CONCEPT/QUESTION -> a card
    whose due date carries its time zone."""
    if not isinstance(key, str) or key.count("/") < 3 or not isinstance(card, dict):
        return False
    try:
        return datetime.fromisoformat(card["due"]).tzinfo is not None
    except (KeyError, TypeError, ValueError):
        return False


def repair_entries(data):
    """(data, problems): a hand-edited profile keeps everything that can be read. An
    entry of the day list, the review cards or the mastery table that no command could
    use is dropped, and each dropped entry is named, so nothing else is lost."""
    problems = []
    days = data.get("active_days")
    if isinstance(days, list):
        bad = [d for d in days if not _is_date(d)]
        if bad:
            data["active_days"] = [d for d in days if _is_date(d)]
            problems.append(f"active_days: {', '.join(map(repr, bad))} (not dates)")
    reviews = data.get("reviews")
    if isinstance(reviews, dict):
        bad = [k for k, card in reviews.items() if not _is_card(k, card)]
        if bad:
            data["reviews"] = {k: card for k, card in reviews.items() if k not in bad}
            problems.append(f"reviews: {', '.join(map(repr, bad))} (no usable due date)")
    mastery = data.get("mastery")
    if isinstance(mastery, dict):
        bad = [k for k, p in mastery.items() if not isinstance(p, (int, float)) or not 0 <= p <= 1]
        if bad:
            data["mastery"] = {k: p for k, p in mastery.items() if k not in bad}
            problems.append(f"mastery: {', '.join(map(repr, bad))} (not a probability)")
    return data, problems


def load_profile(path, repairs=None):
    """(profile, journal_seq): parse and migrate a profile file; a problem is a SourceError
    at its line. Unusable entries are dropped and described in `repairs` (see repair_entries).
    journal_seq: the last journal line the file holds (see utils/journal.py), or None for a
    file of an older version, which the next save must write whole in this one."""
    document = load_yaml(path)
    if document.not_a_mapping():
        raise document.error((), document.not_a_mapping())
    try:
        current = document.data.get("schema_version") == SCHEMA_VERSION
        data, problems = repair_entries(migrate(dict(document.data)))
        journal_seq = data.pop("journal_seq", 0)
        if not isinstance(journal_seq, int) or isinstance(journal_seq, bool) or journal_seq < 0:
            raise document.error(("journal_seq",), "journal_seq must be a whole number, 0 or more")
        if repairs is not None and problems:
            repairs.append(f"{path}: dropped entries no command could use: {'; '.join(problems)}.")
    except NewerProfile as exc:
        # Not damage: the learner's file stays exactly where it is.
        raise UsageError(f"{path}: {exc}") from None
    except ValueError as exc:
        raise document.error(("schema_version",), str(exc)) from None
    try:
        return Profile.model_validate(data), journal_seq if current else None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise document.error(first["loc"], describe_error(first)) from None


def check_name(name):
    """A profile name is a plain file name: checked before any file is touched.
    fullmatch, so a name ending in a newline is refused too."""
    if not isinstance(name, str) or not re.fullmatch(NAME_CHARS, name) or len(name) > MAX_NAME:
        raise UsageError(
            f"invalid profile name {name!r}: use up to {MAX_NAME} letters, digits, '-', '_' and '.', "
            "starting with a letter or digit"
        )


# Long enough for any learner's name; short enough that NAME.yaml.bak and temp files fit a file name.
MAX_NAME = 64


def _remove(path):
    """A file, a link (never what it points to) or a whole folder."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


# A long session folds its journal into NAME.yaml after this many saves, so loading
# after a crash never replays more than this.
JOURNAL_LINES = 1000


@dataclass
class SavedState:
    profile: Profile  # the object saved: a save of another object is a checkpoint
    image: dict  # what is durable, for telling the next save's changes (utils.journal.image_of)
    seq: int  # the number of the last journal line written or applied
    lines: int  # journal lines since the last checkpoint


def _stamp():
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


class ProfileInUse(UsageError):
    """Another session holds this profile."""


class ProfileStore:
    """Profiles on disk: the live ones under `home`/profiles, and the shipped
    examples a new learner may start from."""

    def __init__(self, home):
        self.home = Path(home)
        self.folder = self.home / "profiles"
        self.notices = []  # what the learner must be told about how a profile was loaded
        self._saved = {}  # name -> SavedState: what this store last made durable of each profile

    def path(self, name):
        check_name(name)
        return self.folder / f"{name}.yaml"

    def names(self):
        """The learners with a profile here, in name order."""
        return sorted(p.name[: -len(".yaml")] for p in self.folder.glob("*.yaml") if ".unreadable-" not in p.name)

    def existing(self, name):
        """The learner's saved profile, or None: reading never creates, moves or
        rewrites a file (a damaged one is read from its last good copy)."""
        if not self.path(name).exists() and not self.backup_path(name).exists():
            return None
        return self.load_or_create(name, recover=False)

    def required(self, name):
        """The learner's saved profile, for commands that only report on one."""
        profile = self.existing(name)
        if profile is None:
            raise UsageError(f"no profile '{name}' yet: `tutor` starts one (see `tutor profile list`)")
        return profile

    def is_new(self, name):
        """No profile yet, and no shipped example to start from: a first run."""
        return not self.path(name).exists() and not (examples_dir() / f"{name}.yaml").exists()

    def default_name(self):
        try:
            settings = yaml.safe_load((self.home / "settings.yaml").read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            return None
        name = settings.get("profile") if isinstance(settings, dict) else None
        return name if isinstance(name, str) and re.fullmatch(NAME_CHARS, name) else None

    def set_default_name(self, name):
        atomic_write_text(self.home / "settings.yaml", yaml.safe_dump({"profile": name}))

    def backup_path(self, name):
        return self.folder / f"{name}.yaml.bak"

    def journal(self, name):
        return Journal(self.folder / f"{name}.journal")

    def load_or_create(self, name, recover=True):
        """The learner's profile; a new one starts from the shipped example of
        the same name if there is one. A profile that cannot be read is moved
        aside, never overwritten, and the last good copy takes its place; with
        `recover` false (a command that only reads) nothing on disk changes and
        the last good copy is read instead. Whatever the file calls itself, the
        profile is NAME: saves go back to the file that was loaded. The saves
        since the last full one (the journal) are applied on top."""
        path = self.path(name)
        if path.exists():
            try:
                profile, seq = load_profile(path, self.notices)
            except SourceError as problem:
                profile, seq = self._recover(name, problem) if recover else self._read_backup(name, problem)
        elif self.backup_path(name).exists():
            profile, seq = self._restore_missing(name, recover)
        else:
            profile, seq = self._fresh(name)
        # A file of an older version, or one that names another learner, is written whole at the first save.
        whole = seq is None or profile.name != name
        if profile.name != name:
            self.notices.append(
                f"{path.name} calls its learner '{profile.name}'; it is the profile '{name}' and is saved as {path}."
            )
            profile.name = name
        profile, last, applied = self._apply_journal(name, profile, seq or 0, recover)
        if not whole:
            self._saved[name] = SavedState(profile, image_of(profile), last, applied)
        return profile

    def _apply_journal(self, name, profile, seq, recover):
        """(profile, last seq, lines applied): the profile with the journal's newer lines applied."""
        entries, unreadable = self.journal(name).entries()
        newer = [entry for entry in entries if entry["seq"] > seq]
        if unreadable:
            self.notices.append(
                f"{unreadable} line(s) of {self.journal(name).path} could not be read and were skipped."
            )
        if not newer:
            return profile, max([seq, *(entry["seq"] for entry in entries)]), 0
        data = profile.model_dump(mode="json", exclude_none=True)
        for entry in newer:
            data = apply(data, entry)
        try:
            return Profile.model_validate(data), newer[-1]["seq"], len(newer)
        except ValidationError as exc:
            first = exc.errors()[0]
            problem = f"{'.'.join(map(str, first['loc']))}: {describe_error(first)}"
        journal = self.journal(name).path
        if recover:
            aside = self.folder / f"{name}.unreadable-{_stamp()}.journal"
            os.replace(journal, aside)
            self.notices.append(
                f"The saves of your last session could not be applied ({problem}); they were moved to {aside} "
                "and the profile as last saved in full was kept."
            )
        else:
            self.notices.append(
                f"The saves of your last session could not be applied ({problem}); showing the profile as last "
                "saved in full. `tutor learn` sets them aside."
            )
        return profile, max(entry["seq"] for entry in entries), 0

    def _read_backup(self, name, problem):
        try:
            loaded = load_profile(self.backup_path(name))
        except (SourceError, OSError):
            raise problem from None
        self.notices.append(
            f"Your profile could not be read (line {problem.line}: {problem.message}); showing its last good copy. "
            "`tutor learn` restores it."
        )
        return loaded

    def _restore_missing(self, name, recover):
        """NAME.yaml is gone but its last good copy is here: never start afresh over it."""
        try:
            loaded = load_profile(self.backup_path(name))
        except SourceError:
            return self._fresh(name)
        if recover:
            self._write_back_backup(name)
            self.notices.append(f"{self.path(name)} was missing; it was restored from its last good copy.")
        return loaded

    def _fresh(self, name):
        example = examples_dir() / f"{name}.yaml"
        profile = load_profile(example)[0] if example.exists() else Profile(name=name)
        return profile, None

    def _write_back_backup(self, name):
        """The last good copy becomes the profile again at once, so the next command reads a good file."""
        atomic_write_text(self.path(name), self.backup_path(name).read_text(encoding="utf-8"))

    def _recover(self, name, problem):
        aside = self.folder / f"{name}.unreadable-{_stamp()}.yaml"
        os.replace(self.path(name), aside)
        try:
            loaded, restored = load_profile(self.backup_path(name)), "the last good copy"
        except (SourceError, OSError):
            loaded, restored = self._fresh(name), "a fresh profile"
        if restored == "the last good copy":
            self._write_back_backup(name)
        self.notices.append(
            f"Your profile could not be read (line {problem.line}: {problem.message}); "
            f"it was moved to {aside} and {restored} was restored."
        )
        return loaded

    def save(self, profile):
        """Make the profile's changes durable: one journal line (one write, one fsync)
        holding only what changed, or nothing when nothing did. The first save of a
        profile this store did not load, and every JOURNAL_LINES-th, is a checkpoint."""
        saved = self._saved.get(profile.name)
        if saved is None or saved.profile is not profile:
            self.checkpoint(profile)
            return
        entry, image = changes(saved.image, profile, profile._changed_records)
        if not entry:
            return
        self.journal(profile.name).append({"seq": saved.seq + 1, **entry})
        profile._changed_records.clear()
        saved.seq, saved.image, saved.lines = saved.seq + 1, image, saved.lines + 1
        if saved.lines >= JOURNAL_LINES:
            self.checkpoint(profile)

    def checkpoint(self, profile):
        """A full save: NAME.yaml and its backup are written whole and hold every
        journal line so far, and then the journal is removed. A crash in between
        leaves lines the file already holds, which loading skips by number."""
        saved = self._saved.get(profile.name)
        if saved is not None:
            seq = saved.seq
        else:
            entries, _ = self.journal(profile.name).entries()
            seq = max([0, *(entry["seq"] for entry in entries)])
        # libyaml's safe dumper writes the same text about four times faster.
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        data = {**profile.model_dump(mode="json", exclude_none=True), "journal_seq": seq}
        text = yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True)
        atomic_write_text(self.path(profile.name), text)
        atomic_write_text(self.backup_path(profile.name), text)
        self.journal(profile.name).remove()
        profile._changed_records.clear()
        self._saved[profile.name] = SavedState(profile, image_of(profile), seq, 0)

    def _fold_journal(self, name):
        """At the end of a command that held the profile: its journal goes into NAME.yaml,
        so the file a person reads or edits between sessions is the whole profile."""
        saved = self._saved.get(name)
        if saved is not None and saved.lines:
            self.checkpoint(saved.profile)

    def records(self, name):
        """Every file and folder that belongs to the learner NAME, besides its lock."""
        from pockettutor.utils.transcripts import disputes_path, history_path, transcript_folder

        check_name(name)
        aside = sorted(self.folder.glob(f"{glob_escape(name)}.unreadable-*"))
        candidates = [self.path(name), self.backup_path(name), self.journal(name).path, *aside]
        candidates += [place(self.home, name) for place in (transcript_folder, history_path, disputes_path)]
        return [path for path in candidates if path.exists() or path.is_symlink()]

    def delete(self, name):
        """Remove the learner's profile and records, under its lock."""
        if not self.records(name):
            raise UsageError(f"no profile '{name}' (see `tutor profile list`)")
        with self.lock(name):
            self._saved.pop(name, None)
            for path in self.records(name):
                _remove(path)
            if self.default_name() == name:
                (self.home / "settings.yaml").unlink(missing_ok=True)
        (self.folder / f"{name}.lock").unlink(missing_ok=True)

    def rename(self, old, new):
        """OLD's profile and records become NEW's. The profile is written under its
        new name before anything of the old one goes, so a crash leaves both, never neither."""
        from pockettutor.utils.transcripts import disputes_path, history_path, transcript_folder

        check_name(new)
        if not self.records(old):
            raise UsageError(f"no profile '{old}' (see `tutor profile list`)")
        if self.records(new):
            raise UsageError(f"profile '{new}' already exists; choose another name or delete it first")
        with self.lock(old), self.lock(new):
            profile = self.load_or_create(old)
            del self._saved[old]
            profile.name = new
            self.save(profile)
            for place in (transcript_folder, history_path, disputes_path):
                if place(self.home, old).exists():
                    place(self.home, new).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                    os.replace(place(self.home, old), place(self.home, new))
            for path in self.records(old):
                path.unlink()
            if self.default_name() == old:
                self.set_default_name(new)
        (self.folder / f"{old}.lock").unlink(missing_ok=True)
        return profile

    def reset(self, name):
        """Start the learner over: progress, reviews, mastery and the session records go;
        who they are (experience, thinking style, preferences, notes) stays."""
        from pockettutor.utils.transcripts import disputes_path, transcript_folder

        if not self.records(name):
            raise UsageError(f"no profile '{name}' (see `tutor profile list`)")
        with self.lock(name):
            old = self.load_or_create(name)
            kept = {"experience", "thinking_style", "preferences", "notes"}
            fresh = Profile(name=name, **{field: getattr(old, field) for field in kept})
            self.save(fresh)
            for path in (transcript_folder(self.home, name), disputes_path(self.home, name)):
                if path.exists() or path.is_symlink():
                    _remove(path)
        return fresh

    @contextmanager
    def lock(self, name):
        """Hold the profile for one session; a second session is refused at once
        rather than left to overwrite the first one's turns."""
        from filelock import FileLock, Timeout

        check_name(name)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.folder / f"{name}.lock"
        if path.is_symlink():
            # Taking the lock truncates its file: never the target of a planted link.
            raise UsageError(f"{path} is a symbolic link; remove it to use this profile")
        lock = FileLock(path, timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise ProfileInUse(
                f"profile '{name}' is open in another tutor session; finish that one first, "
                "or use another profile with --profile NAME"
            ) from None
        # Temp files of this profile can only be left by a writer that died mid-save. Exactly
        # this profile's: ".a.yaml.bak.x1y2z3ab.tmp", never those of a profile named "a.yaml".
        mine = re.compile(rf"\.{re.escape(name)}\.yaml(\.bak)?\.[a-z0-9_]{{8}}\.tmp")
        for leftover in self.folder.glob(f".{glob_escape(name)}.yaml*.tmp"):
            if mine.fullmatch(leftover.name):
                leftover.unlink(missing_ok=True)
        try:
            yield
        finally:
            try:
                self._fold_journal(name)
            finally:
                lock.release()
