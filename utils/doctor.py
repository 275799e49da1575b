"""`tutor doctor`: what this installation is and whether each part works.

Each check is a line a person can act on; `--json` gives the same for scripts.
The API key is reported as set or not, never shown.
"""

import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from pockettutor import __version__


@dataclass(frozen=True)
class Check:
    section: str
    name: str
    status: str  # ok | warn | fail | info
    detail: str

    def as_json(self):
        return asdict(self)


def _count(number, noun):
    return f"{number} {noun}{'s' * (number != 1)}"


def _lesson_checks(env):
    from pockettutor.utils.errors import TutorError
    from pockettutor.utils.lessons import Library, library_roots, shipped_library, user_library
    from pockettutor.utils.lint import lint
    from pockettutor.utils.lint_cache import LintCache

    checks = []
    roots = library_roots(env)
    if not user_library(env).is_dir():
        checks.append(
            Check("lessons", "user folder", "info", f"{user_library(env)} (none yet: `tutor new course NAME` makes it)")
        )
    problems = lint(roots, roots=roots, cache=LintCache(), workers=os.cpu_count() or 1)
    for root in roots:
        kind = "shipped" if root == shipped_library() else "user folder" if root == user_library(env) else "added"
        if not root.is_dir():
            checks.append(Check("lessons", kind, "fail", f"{root}: no such folder"))
            continue
        mine = [p for p in problems if Path(p.path).resolve().is_relative_to(root.resolve())]
        errors = sum(p.severity == "error" for p in mine)
        warnings = len(mine) - errors
        try:
            library = Library([root])
            courses = library.courses()
            lessons = sum(len(course.lessons) for course in courses.values())
            counts = f"{_count(len(courses), 'course')}, {_count(lessons, 'lesson')}"
        except TutorError as exc:
            counts = f"cannot be read ({exc})"
        state = f"lint: {_count(errors, 'error')}, {_count(warnings, 'warning')}"
        status = "fail" if errors else "warn" if warnings else "ok"
        checks.append(Check("lessons", kind, status, f"{root}: {counts}; {state}"))
    clashes = [p for p in problems if "ids must differ across lesson folders" in p.message]
    for problem in clashes:
        checks.append(Check("lessons", "clash", "fail", str(problem)))
    if not roots:
        checks.append(Check("lessons", "library", "fail", "no lesson folder: the shipped courses are switched off"))
    return checks


def _writable(folder):
    """Whether a file can be made in `folder` (made first if missing), checked by making one."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _data_checks(env):
    from pockettutor.utils.profiles import ProfileStore, data_home

    home = data_home(env)
    problem = _writable(home)
    if problem:
        return [Check("data", "folder", "fail", f"{home}: not writable ({problem}); set TUTOR_HOME to another folder")]
    names = ProfileStore(home).names()
    return [Check("data", "folder", "ok", f"{home}: writable; {_count(len(names), 'profile')}")]


def _settings_checks(env, model):
    from pockettutor.utils.call_llm import llm_configured, redact
    from pockettutor.utils.errors import TutorError
    from pockettutor.utils.settings import config_path, resolved

    path = config_path(env)
    checks = []
    try:
        settings = resolved(env)
    except TutorError as exc:
        return [Check("settings", "config file", "fail", str(exc))], False
    where = f"{path}" if path.exists() else f"{path} (none: defaults and environment in use)"
    checks.append(Check("settings", "config file", "ok", where))
    for name, setting in settings.items():
        value = setting.value
        if name == "model" and model:
            value, source = model, "--model"
        else:
            source = setting.source
        shown = redact(value) if name == "base_url" else os.pathsep.join(value) if name == "lessons" else value
        shown = shown if shown not in (None, "", []) else "(none)"
        checks.append(Check("settings", name, "info", f"{shown} [{source}]"))
    key = "set in OPENAI_API_KEY" if env.get("OPENAI_API_KEY") else "not set"
    checks.append(Check("settings", "api key", "info", key))
    configured = llm_configured(env)
    engine = (
        "LLM (`--offline` for the offline engine)"
        if configured
        else "offline: authored lessons and the rubric grader (set OPENAI_API_KEY or base_url for an LLM)"
    )
    checks.append(Check("settings", "engine", "ok", engine))
    return checks, configured


def _llm_check(env, model):
    from pockettutor.utils.call_llm import LLMChat, LLMConfig, failure_reason

    config = LLMConfig.from_env(env, model=model)
    started = time.monotonic()
    try:
        reply = LLMChat(config).complete(
            [{"role": "user", "content": "Reply with the single word: ready"}], max_tokens=16
        )
    except Exception as exc:  # whatever the server or the network did, it is the finding
        return Check("llm", "call", "fail", f"{config.describe()}: {failure_reason(exc)}")
    elapsed = time.monotonic() - started
    words = " ".join(reply.split())[:60] or "(an empty reply)"
    return Check("llm", "call", "ok", f"{config.describe()} answered in {elapsed:.1f} s: {words!r}")


def diagnose(env=None, check_llm=False, model=None):
    """Every check, in the order shown."""
    env = os.environ if env is None else env
    checks = [
        Check("tutor", "version", "info", f"PocketTutor {__version__}"),
        Check("tutor", "python", "info", f"Python {platform.python_version()} at {sys.executable}"),
        Check("tutor", "installed", "info", str(Path(__file__).resolve().parent.parent)),
    ]
    checks += _lesson_checks(env)
    checks += _data_checks(env)
    settings, configured = _settings_checks(env, model)
    checks += settings
    if check_llm:
        if configured:
            checks.append(_llm_check(env, model))
        else:
            unset = "no LLM configured: set OPENAI_API_KEY, or `tutor config set base_url URL`"
            checks.append(Check("llm", "call", "fail", unset))
    return checks
