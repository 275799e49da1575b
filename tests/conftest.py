import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pockettutor.utils.console import TutorConsole
from pockettutor.utils.lessons import Library
from pockettutor.utils.profiles import Profile, ProfileStore

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "lessons"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """No test reads or writes the real data directory, or sees an LLM config."""
    monkeypatch.setenv("TUTOR_HOME", str(tmp_path / "home"))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "TUTOR_MODEL", "TUTOR_PROFILE", "TUTOR_LESSONS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "home"


@pytest.fixture
def chat_server():
    """A local OpenAI-compatible server that answers from a script (tests/chat_server.py)."""
    from chat_server import ChatServer

    server = ChatServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def demo_library():
    return Library(FIXTURES)


@pytest.fixture
def demo_lesson(demo_library):
    return demo_library.lesson("demo/levers")


class ScriptedConsole(TutorConsole):
    """A console whose learner is a list of replies and whose screen is a string."""

    def __init__(self, replies=()):
        self.buffer = io.StringIO()
        replies = list(replies)

        def next_reply(prompt):
            if not replies:
                raise EOFError
            return replies.pop(0)

        super().__init__(input_fn=next_reply, file=self.buffer, width=100, echo_input=True)

    @property
    def text(self):
        return self.buffer.getvalue()


@pytest.fixture
def make_console():
    return ScriptedConsole


@pytest.fixture
def store(isolated_home):
    return ProfileStore(isolated_home)


@pytest.fixture
def profile():
    return Profile(name="tester", thinking_style="mechanical")


def edited_library(tmp_path, file="demo/levers.yaml", old="", new=""):
    """A copy of the fixture library at tmp_path/lessons with `old` replaced by
    `new` once in `file`; the copy's root."""
    import shutil

    root = tmp_path / "lessons"
    shutil.copytree(FIXTURES, root)
    path = root / file
    text = path.read_text()
    assert old in text, f"{old!r} is not in {file}"
    path.write_text(text.replace(old, new, 1))
    return root


def an_analogy(analogy_id, style="everyday", term=None):
    from pockettutor.utils.lessons import Analogy

    return Analogy(id=analogy_id, styles=[style], term=term, text="a picture")


def run_tutor(home, *args, stdin="", env=None, timeout=120, cwd=None):
    """`tutor ARGS` as a real process with its own data directory and no LLM or
    TUTOR_ settings of the caller's; `env` adds to that."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "TUTOR_"))}
    full_env.update({"TUTOR_HOME": str(home), "NO_COLOR": "1", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "pockettutor", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=cwd,
    )
