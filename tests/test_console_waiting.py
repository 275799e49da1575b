"""The console while the learner waits on a model: a spinner before a reply comes, and a
streamed panel that keeps its newest text in view on a terminal too short for all of it."""

import io
import threading

import pytest
from rich.console import Console
from rich.live import Live

from pockettutor.utils import console as console_module
from pockettutor.utils.console import ROWS_BESIDE_STREAMED_TEXT, TutorConsole

HEIGHT = 12
WIDTH = 60
# Blank lines between paragraphs: 20 of them are far taller than the terminal.
PARAGRAPHS = [f"Paragraph {n} says something about levers.\n\n" for n in range(1, 21)]


def terminal_console():
    """A console whose screen is a terminal of HEIGHT rows, written to a string."""
    console = TutorConsole(input_fn=lambda prompt: "", width=WIDTH)
    console.out = Console(
        file=io.StringIO(),
        force_terminal=True,
        color_system=None,
        height=HEIGHT,
        width=WIDTH,
        highlight=False,
        soft_wrap=False,
    )
    return console


def screen(console):
    return console.out.file.getvalue()


def rows(console, renderable):
    """The rows a renderable takes on the console's terminal, as plain text."""
    lines = console.out.render_lines(renderable, console.out.options, pad=False)
    return ["".join(segment.text for segment in line) for line in lines]


@pytest.fixture
def live_views(monkeypatch):
    """Every view the streamed panel hands its live display, in order: what the learner sees
    at each point, whenever the display happens to redraw."""
    views = []

    class RecordingLive(Live):
        def __init__(self, renderable, **options):
            views.append(renderable)
            super().__init__(renderable, **options)

        def update(self, renderable, **options):
            views.append(renderable)
            super().update(renderable, **options)

    monkeypatch.setattr(console_module, "Live", RecordingLive)
    return views


def test_a_stream_taller_than_the_terminal_ends_as_one_whole_panel():
    console = terminal_console()
    text = console.stream_panel("Levers", iter(PARAGRAPHS))
    assert text == "".join(PARAGRAPHS)

    printed = terminal_console()
    printed.panel("Levers", text)
    whole = screen(printed)
    assert len(whole.splitlines()) > HEIGHT
    # The live view is erased and the panel printed after it, once: the scrollback holds it all.
    assert screen(console).endswith(whole)
    assert screen(console).count(whole) == 1


def test_while_streaming_the_panel_shows_the_newest_lines_that_fit(live_views):
    console = terminal_console()
    shown = []

    def chunks():
        shown.append(rows(console, live_views[-1]))
        # Whitespace alone is no reply yet: the spinner stays.
        yield "\n"
        shown.append(rows(console, live_views[-1]))
        for paragraph in PARAGRAPHS:
            yield paragraph
            shown.append(rows(console, live_views[-1]))

    console.stream_panel("Levers", chunks())

    waiting, still_waiting, *streamed = shown
    assert any("Thinking…" in row for row in waiting)
    assert still_waiting == waiting
    for number, view in enumerate(streamed, start=1):
        assert view[0].startswith("╭─ Levers")
        assert len(view) <= HEIGHT - ROWS_BESIDE_STREAMED_TEXT + 2
        assert f"Paragraph {number} says" in view[-2]  # the newest text, above the bottom border
    tallest = streamed[-1]
    assert len(tallest) == HEIGHT - ROWS_BESIDE_STREAMED_TEXT + 2
    assert not any("Paragraph 1 says" in row for row in tallest)


def test_a_short_stream_shows_its_whole_text_while_it_arrives(live_views):
    console = terminal_console()
    console.stream_panel("Levers", iter(PARAGRAPHS[:2]))
    view = rows(console, live_views[-1])
    assert any("Paragraph 1 says" in row for row in view)
    assert any("Paragraph 2 says" in row for row in view)


def test_an_interrupted_stream_leaves_what_arrived_in_a_panel():
    console = terminal_console()

    def chunks():
        yield from PARAGRAPHS[:2]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        console.stream_panel("Levers", chunks())
    printed = terminal_console()
    printed.panel("Levers", "".join(PARAGRAPHS[:2]))
    assert screen(console).endswith(screen(printed))


def test_off_a_terminal_a_stream_is_the_panel_printed_once():
    out = io.StringIO()
    console = TutorConsole(input_fn=lambda prompt: "", file=out, width=WIDTH)
    console.stream_panel("Levers", iter(PARAGRAPHS))
    printed = io.StringIO()
    TutorConsole(input_fn=lambda prompt: "", file=printed, width=WIDTH).panel("Levers", "".join(PARAGRAPHS))
    assert out.getvalue() == printed.getvalue()


def test_waiting_off_a_terminal_prints_nothing():
    out = io.StringIO()
    console = TutorConsole(input_fn=lambda prompt: "", file=out, width=WIDTH)
    with console.waiting("Grading…"):
        with console.waiting():
            pass
    assert out.getvalue() == ""


def test_waiting_on_a_terminal_shows_the_label_then_erases_its_line():
    console = terminal_console()
    with console.waiting("Grading…"):
        assert "Grading…" in screen(console)
    assert screen(console).endswith("\x1b[2K")  # the spinner's line erased


def test_an_exception_inside_waiting_propagates_and_leaves_no_spinner_behind():
    console = terminal_console()
    threads = set(threading.enumerate())
    for interruption in (ValueError("the server hung up"), KeyboardInterrupt()):
        with pytest.raises(type(interruption)):
            with console.waiting("Grading…"):
                raise interruption
        for redraws in set(threading.enumerate()) - threads:
            redraws.join(timeout=10)  # the spinner's redraws were told to stop
            assert not redraws.is_alive()
        assert screen(console).endswith("\x1b[2K")
    # The console is free for the next spinner and the next streamed panel.
    with console.waiting("Asking again…"):
        assert "Asking again…" in screen(console)
    assert console.stream_panel("Levers", iter(PARAGRAPHS[:1])) == PARAGRAPHS[0]


def test_waiting_inside_a_live_view_adds_nothing_and_repeats():
    console = terminal_console()
    with console.waiting("Outer…"):
        with console.waiting("Inner…"):
            pass
        with console.waiting("Inner again…"):
            pass
    assert "Inner" not in screen(console)

    def chunks():
        with console.waiting("Reading the stream…"):
            yield PARAGRAPHS[0]

    console.stream_panel("Levers", chunks())
    assert "Reading the stream…" not in screen(console)

    with console.waiting("Once more…"):
        pass
    assert "Once more…" in screen(console)
