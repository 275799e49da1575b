"""The errors the tutor reports to the user, each with its exit status.

Everything the user can get wrong (a lesson file, a profile, a command line, a
replay script) raises a TutorError subclass; main.py turns it into one line on
stderr and the status below. Anything else is a bug and shows a traceback only
with --debug.
"""

import unicodedata

# Bidirectional overrides and isolates reorder what a terminal shows ("Trojan source").
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def control_characters(text):
    """The control characters in `text` that must never reach a terminal: C0 and
    C1 controls other than newline and tab (escape sequences, OSC 52 clipboard
    writes, screen clears) and bidirectional overrides."""
    return [ch for ch in str(text) if (unicodedata.category(ch) == "Cc" and ch not in "\n\t") or ch in BIDI_CONTROLS]


def visible(text):
    """Text safe for a terminal, lines kept: each control character is shown
    escaped (\\x1b), never sent as it is."""
    bad = set(control_characters(text))
    if not bad:
        return str(text)
    return "".join(ch.encode("unicode_escape").decode("ascii") if ch in bad else ch for ch in str(text))


def printable(text):
    """Text safe for one terminal line: control characters (a newline in a
    YAML key, an escape sequence) are shown escaped, not sent as they are."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(text))


class TutorError(Exception):
    """A problem the user can fix; printed as one line."""

    exit_status = 1


class SourceError(TutorError):
    """A problem at a place in a file: printed as `path:line:col: message`."""

    def __init__(self, path, message, line=None, column=None):
        self.path = str(path)
        self.message = message
        self.line = line
        self.column = column
        super().__init__(printable(self.location() + message))

    def location(self):
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where + ": "


class UsageError(TutorError):
    """A wrong command line: unknown command, unknown lesson id, bad option."""


class LLMUnavailable(TutorError):
    """The LLM engine was asked for but cannot be used (no openai, bad URL)."""


class ReplayMismatch(TutorError):
    """`tutor replay --check` found the session differs from its expectations."""
