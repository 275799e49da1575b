"""The learner's turn journal: what changed in a profile since its last full save.

A full save rewrites NAME.yaml, whose cost grows with everything the learner
has done. So between full saves (checkpoints) each save appends one JSON line,
NAME.journal, holding only what changed: fields, lesson progress, mastery and
review entries by key, and ledger records by position. Every change is "set
this key (or position) to this value", so applying a line twice gives the same
profile. Lines are numbered; the snapshot records the number of the last line
it includes (`journal_seq`), and loading applies only the lines after it, so a
crash between a checkpoint and the journal's removal loses and repeats nothing.
A line torn by a crash is the turn that was in flight: it is skipped.
"""

import json
import os
from pathlib import Path

from pockettutor.utils.transcripts import open_private

# Parts of a profile, by how a change to them is recorded.
FIELDS = ("name", "experience", "thinking_style", "preferences", "notes", "current_lesson")
KEYED = ("lessons", "mastery", "reviews")  # key -> entry; an entry can be set or removed
GROWING = ("analogies", "style_changes", "active_days")  # lists that only grow; an entry can be replaced


def image_of(profile):
    """What a save has made durable, to tell the next save's changes from: the
    fields and keyed entries as JSON data, and the length of each growing list."""
    data = _fields(profile)
    for part, table in _keyed(profile).items():
        data[part] = {key: _copy(value) for key, value in table.items()}
    for part in GROWING:
        data[part] = len(getattr(profile, part))
    return data


def _fields(profile):
    return {name: _plain(getattr(profile, name)) for name in FIELDS}


def _keyed(profile):
    """The keyed parts as they stand, lesson positions as JSON data (not copies)."""
    return {
        "lessons": {ref: _plain(progress) for ref, progress in profile.lessons.items()},
        "mastery": profile.mastery,
        "reviews": profile.reviews,
    }


def _plain(value):
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    return list(value) if isinstance(value, list) else value


def changes(image, profile, changed_records=()):
    """(entry, new image): the journal entry that takes `image` to `profile`
    (empty when nothing changed). Its cost follows the lessons, concepts and
    questions the learner has touched, and what is new, never the ledger's length.
    `changed_records`: positions of ledger records changed in place."""
    entry, new = {}, dict(image)
    changed = {name: value for name, value in _fields(profile).items() if value != image[name]}
    if changed:
        entry["fields"] = changed
        new.update(changed)
    current = _keyed(profile)
    removed = {}
    for part in KEYED:
        before, now = image[part], current[part]
        if before == now:
            continue
        set_here = {key: value for key, value in now.items() if before.get(key) != value}
        gone = [key for key in before if key not in now]
        if set_here:
            entry[part] = {key: _copy(value) for key, value in set_here.items()}
        if gone:
            removed[part] = gone
        new[part] = {
            **{key: value for key, value in before.items() if key not in gone},
            **{key: _copy(value) for key, value in set_here.items()},
        }
    if removed:
        entry["removed"] = removed
    for part in GROWING:
        items = getattr(profile, part)
        positions = set(range(image[part], len(items)))
        if part == "analogies":
            positions |= {p for p in changed_records if p < len(items)}
        if positions:
            entry[part] = {str(p): _plain(items[p]) for p in sorted(positions)}
            new[part] = len(items)
    return entry, new


def _copy(value):
    return dict(value) if isinstance(value, dict) else value


def apply(data, entry):
    """Profile data (as read from NAME.yaml) with one journal entry applied."""
    data = dict(data)
    data.update(entry.get("fields", {}))
    for part in KEYED:
        if part in entry or part in entry.get("removed", {}):
            table = dict(data.get(part) or {})
            table.update(entry.get(part, {}))
            for key in entry.get("removed", {}).get(part, ()):
                table.pop(key, None)
            data[part] = table
    for part in GROWING:
        if part in entry:
            items = list(data.get(part) or [])
            for position, value in sorted(entry[part].items(), key=lambda item: int(item[0])):
                if int(position) < len(items):
                    items[int(position)] = value
                else:
                    items.append(value)
            data[part] = items
    return data


class Journal:
    """NAME.journal: one JSON line per save since the last checkpoint."""

    def __init__(self, path):
        self.path = Path(path)

    def append(self, entry):
        """One write and one fsync: the turn is durable when this returns."""
        line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        fd = open_private(self.path)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def entries(self):
        """(entries in order, lines that could not be read). A torn last line is a
        save cut off by a crash and is not counted as damage."""
        try:
            lines = self.path.read_bytes().split(b"\n")
        except FileNotFoundError:
            return [], 0
        lines.pop()  # after the last newline: empty, or a line torn by a crash
        entries, unreadable = [], 0
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                unreadable += 1
                continue
            if isinstance(entry, dict) and isinstance(entry.get("seq"), int):
                entries.append(entry)
            else:
                unreadable += 1
        return entries, unreadable

    def remove(self):
        self.path.unlink(missing_ok=True)
