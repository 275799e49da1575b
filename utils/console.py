"""The one I/O seam: everything the learner sees or types passes through here.

Output is rendered with rich (NO_COLOR is honoured by rich itself). Input comes
from an injectable function; by default prompt_toolkit on a terminal (line
editing, history, Alt+Enter for a new line) and plain line reading otherwise.
"""

import os
import sys

from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown
from rich.panel import Panel
from rich.text import Text

from pockettutor.utils.errors import UsageError, visible
from pockettutor.utils.transcripts import open_private

# Panels and text keep a readable measure on wide terminals.
MEASURE = 88


def _terminal_reader(history_path):
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from prompt_toolkit.key_binding import KeyBindings

    bindings = KeyBindings()

    @bindings.add("escape", "enter")
    def _newline(event):
        event.current_buffer.insert_text("\n")

    @bindings.add("enter")
    def _submit(event):
        event.current_buffer.validate_and_handle()

    try:
        os.close(open_private(history_path))  # created 0600, never through a planted link
        history = FileHistory(str(history_path))
    except (TypeError, UsageError):
        history = InMemoryHistory()
    session = PromptSession(history=history, multiline=True, key_bindings=bindings)

    def read(prompt):
        return session.prompt(prompt)

    return read


def _line_reader(stream):
    # Bytes that are not UTF-8 become U+FFFD: what the learner typed is kept, and no
    # undecodable character can reach a transcript or a profile.
    binary = getattr(stream, "buffer", None)

    def read(prompt):
        if stream is None:  # started with standard input closed
            raise EOFError
        line = binary.readline().decode("utf-8", "replace") if binary is not None else stream.readline()
        if not line:
            raise EOFError
        return line.rstrip("\r\n")

    return read


class TutorConsole:
    """Renders tutor output and reads learner replies.

    `input_fn(prompt) -> str` raises EOFError when input ends. When it is not
    given, replies come from the terminal, or from stdin line by line.
    `echo_input` writes each reply into the output, so a scripted session's
    transcript shows what the learner typed.
    """

    def __init__(self, input_fn=None, file=None, width=None, echo_input=False, history_path=None):
        self.out = Console(file=file, width=width, highlight=False, soft_wrap=False)
        # A person at a terminal, rather than a script or a pipe.
        self.interactive = input_fn is None and sys.stdin is not None and sys.stdin.isatty() and self.out.is_terminal
        if input_fn is None:
            if self.interactive:
                input_fn = _terminal_reader(history_path)
            else:
                input_fn = _line_reader(sys.stdin)
                # Piped answers are not on screen: echo them so the output reads as a transcript.
                echo_input = True
        self._input_fn = input_fn
        self.echo_input = echo_input

    @property
    def measure(self):
        return min(self.out.width, MEASURE)

    def _panel(self, body, title, style):
        # Titles come from lesson files: Text keeps a "[" in them from being read as markup.
        return Panel(body, title=title, title_align="left", border_style=style, width=self.measure)

    @staticmethod
    def _markdown(text):
        # Links show their address: an OSC 8 hyperlink hides where it leads.
        return Markdown(visible(text), hyperlinks=False)

    def panel(self, title, markdown, style="cyan"):
        self.out.print(self._panel(self._markdown(markdown), Text(visible(title)), style))

    def stream_panel(self, title, chunks, style="cyan"):
        """Show text as it arrives; returns the whole text."""
        text = ""
        if not self.out.is_terminal:
            for chunk in chunks:
                text += chunk
            self.panel(title, text, style)
            return text
        heading = Text(visible(title))
        with Live(self._panel("", heading, style), console=self.out) as live:
            for chunk in chunks:
                text += chunk
                live.update(self._panel(self._markdown(text), heading, style))
        return text

    def say(self, markdown):
        self.out.print(self._markdown(markdown), width=self.measure)

    def line(self, text, style=None):
        self.out.print(Text(visible(text), style=style or ""))

    def notice(self, text):
        # A one-line notice may hold a path: the terminal's whole width, not the measure.
        self.out.print(Text(visible(text), style="yellow"))

    def rule(self, title=""):
        self.out.rule(Text(visible(title)))

    def print(self, renderable):
        self.out.print(renderable)

    def ask(self, prompt="> "):
        """One reply from the learner; EOFError when input has ended."""
        reply = self._input_fn(prompt)
        if self.echo_input:
            self.out.print(Text(visible(prompt + reply), style="bold"))
        return reply
