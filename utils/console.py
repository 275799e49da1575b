"""The one I/O seam: everything the learner sees or types passes through here.

Output is rendered with rich (NO_COLOR is honoured by rich itself). Input comes
from an injectable function; by default prompt_toolkit on a terminal (line
editing, history, Alt+Enter for a new line) and plain line reading otherwise.
"""

import os
import sys
from contextlib import contextmanager

from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown
from rich.panel import Panel
from rich.segment import SegmentLines
from rich.spinner import Spinner
from rich.text import Text

from pockettutor.utils.errors import UsageError, visible
from pockettutor.utils.transcripts import open_private

# Panels and text keep a readable measure on wide terminals.
MEASURE = 88

# Rows of the terminal a streamed panel leaves to other things: its own top and bottom border,
# and two more so the live view never reaches the bottom edge, where the terminal would scroll
# its first line out of reach of the cursor that redraws it.
ROWS_BESIDE_STREAMED_TEXT = 4

# Redraws a second: enough for a spinner to turn smoothly, few enough that rendering a long
# reply takes little from a model running on the same CPU.
LIVE_REFRESHES_PER_SECOND = 8


def _markdown(text):
    # Links show their address: an OSC 8 hyperlink hides where it leads.
    return Markdown(visible(text), hyperlinks=False)


class _NewestLines:
    """Markdown text cut to its last lines that fit on the screen. It is parsed and cut only
    when the live view redraws, at the terminal's height then: text arriving below the bottom
    edge stays in view, a resized terminal is followed, and a reply arriving in a thousand
    pieces is not parsed a thousand times."""

    def __init__(self, text):
        self.text = text

    def __rich_console__(self, console, options):
        lines = console.render_lines(_markdown(self.text), options)
        room = max(1, options.size.height - ROWS_BESIDE_STREAMED_TEXT)
        yield SegmentLines(lines[-room:], new_lines=True)


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
        # Whether a spinner or a streamed panel is on screen: one live view at a time.
        self._live_shown = False

    @property
    def measure(self):
        return min(self.out.width, MEASURE)

    def _panel(self, body, title, style):
        # Titles come from lesson files: Text keeps a "[" in them from being read as markup.
        return Panel(body, title=title, title_align="left", border_style=style, width=self.measure)

    def panel(self, title, markdown, style="cyan"):
        self.out.print(self._panel(_markdown(markdown), Text(visible(title)), style))

    @contextmanager
    def _live(self, renderable):
        # Transient: what a live view showed is gone when it ends, and what stays is printed.
        self._live_shown = True
        try:
            with Live(
                renderable, console=self.out, transient=True, refresh_per_second=LIVE_REFRESHES_PER_SECOND
            ) as live:
                yield live
        finally:
            self._live_shown = False

    @contextmanager
    def waiting(self, label="Thinking…"):
        """A spinner and `label` on screen while the body runs: a model on a CPU reads a
        prompt for seconds before it answers. Only on a terminal, so a pipe, a transcript or a
        test receives nothing; inside a spinner or a streamed panel it adds nothing, as that
        view already shows that something is under way."""
        if not self.out.is_terminal or self._live_shown:
            yield
            return
        with self._live(Spinner("dots", Text(visible(label), style="dim"))):
            yield

    def _streaming_panel(self, heading, text, style):
        """The panel the live view shows of a reply still arriving: its newest lines."""
        return self._panel(_NewestLines(text), heading, style)

    def stream_panel(self, title, chunks, style="cyan"):
        """Show text as it arrives; returns the whole text.

        On a terminal a spinner fills the panel until text arrives, then the panel shows the
        newest lines that fit on the screen; at the end it gives way to the whole panel,
        printed once, so the scrollback holds all of the text. Elsewhere the panel is printed
        once, when the text is complete."""
        text = ""
        if not self.out.is_terminal:
            for chunk in chunks:
                text += chunk
            self.panel(title, text, style)
            return text
        heading = Text(visible(title))
        try:
            with self._live(self._panel(Spinner("dots", Text("Thinking…", style="dim")), heading, style)) as live:
                for chunk in chunks:
                    text += chunk
                    if text.strip():
                        live.update(self._streaming_panel(heading, text, style))
        finally:
            # Also when the learner interrupts: what had arrived stays on screen.
            self.panel(title, text, style)
        return text

    def say(self, markdown):
        self.out.print(_markdown(markdown), width=self.measure)

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
