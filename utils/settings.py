"""Settings: a YAML file in the platform's config folder, each entry
overridden by its environment variable. `tutor config` reads and writes it.

The API key is never a setting: it stays in OPENAI_API_KEY, so no file the
tutor writes can hold it.
"""

import math
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from pockettutor.utils.errors import UsageError

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_TIMEOUT = 60.0
# An hour: longer than any answer is worth waiting for, short of a typo's 1e309.
MAX_TIMEOUT = 3600


def _text(value):
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty text")
    return value.strip()


def _url(value):
    value = _text(value)
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://, e.g. http://localhost:11434/v1")
    return value


def finite_number(text):
    """A finite float, or None (a typo's 1e309, nan and inf are not numbers here)."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _seconds(value):
    number = None if isinstance(value, bool) else finite_number(value)
    if number is None or not 0 < number <= MAX_TIMEOUT:
        raise ValueError(f"must be a number of seconds above 0 and at most {MAX_TIMEOUT}")
    return number


def _folders(value):
    """Folders as PATH lists them (one text), or a YAML list of folders."""
    parts = value.split(os.pathsep) if isinstance(value, str) else value
    if not isinstance(parts, list) or not all(isinstance(part, str) for part in parts):
        raise ValueError(f"must be folders separated by '{os.pathsep}', or a list of folders")
    return [str(Path(part).expanduser()) for part in parts if part.strip()]


def _switch(value):
    if isinstance(value, bool):
        return value
    words = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}
    if isinstance(value, str) and value.strip().lower() in words:
        return words[value.strip().lower()]
    raise ValueError("must be true or false")


@dataclass(frozen=True)
class Spec:
    variable: str
    parse: object
    default: object
    help: str


SPECS = {
    "model": Spec("TUTOR_MODEL", _text, DEFAULT_MODEL, "the model the LLM server runs"),
    "base_url": Spec(
        "OPENAI_BASE_URL", _url, None, "an OpenAI-compatible server, e.g. http://localhost:11434/v1 (Ollama)"
    ),
    "timeout": Spec("TUTOR_LLM_TIMEOUT", _seconds, DEFAULT_TIMEOUT, "seconds one LLM turn may take"),
    "lessons": Spec("TUTOR_LESSONS", _folders, [], "more lesson folders, added to the shipped library"),
    "shipped_lessons": Spec("TUTOR_SHIPPED_LESSONS", _switch, True, "whether the shipped courses are offered"),
}
# Never a setting, so never in a file; named so `config set` can say where it goes.
SECRETS = {"api_key": "OPENAI_API_KEY", "openai_api_key": "OPENAI_API_KEY", "key": "OPENAI_API_KEY"}


@dataclass(frozen=True)
class Setting:
    name: str
    value: object
    source: str  # "default", "config file" or the environment variable's name


def config_path(env=None):
    """$TUTOR_CONFIG, else config.yaml in $TUTOR_HOME (a self-contained tutor), else in
    the platform's config folder."""
    env = os.environ if env is None else env
    if env.get("TUTOR_CONFIG"):
        return Path(env["TUTOR_CONFIG"]).expanduser()
    if env.get("TUTOR_HOME"):
        return Path(env["TUTOR_HOME"]).expanduser() / "config.yaml"
    from platformdirs import user_config_dir

    return Path(user_config_dir("pockettutor", appauthor=False)) / "config.yaml"


def read_file(path):
    """The file's settings, checked: an unknown name or a bad value is an error at its line."""
    from pockettutor.utils.yaml_source import load_yaml

    if not path.exists():
        return {}
    document = load_yaml(path)
    if document.data is None:
        return {}
    if document.not_a_mapping():
        raise document.error((), document.not_a_mapping())
    values = {}
    for name, raw in document.data.items():
        if name in SECRETS:
            raise document.error((name,), f"an API key never goes in a file: set {SECRETS[name]} in the environment")
        if name not in SPECS:
            raise document.error((name,), f"unknown setting '{name}' (known: {', '.join(SPECS)})")
        try:
            values[name] = SPECS[name].parse(raw)
        except ValueError as exc:
            raise document.error((name,), f"{name} {exc}") from None
    return values


def resolved(env=None):
    """Every setting with where its value came from: environment, file, default."""
    env = os.environ if env is None else env
    from_file = read_file(config_path(env))
    settings = {}
    for name, spec in SPECS.items():
        if env.get(spec.variable, "").strip():
            try:
                settings[name] = Setting(name, spec.parse(env[spec.variable]), spec.variable)
            except ValueError as exc:
                raise UsageError(f"{spec.variable} {exc}, not {env[spec.variable]!r}") from None
        elif name in from_file:
            settings[name] = Setting(name, from_file[name], "config file")
        else:
            settings[name] = Setting(name, spec.default, "default")
    return settings


def value(name, env=None):
    return resolved(env)[name].value


def set_value(name, text, env=None):
    """Check and store one setting in the config file, keeping the others."""
    from pockettutor.utils.profiles import atomic_write_text

    if name in SECRETS:
        raise UsageError(f"an API key never goes in a file: set {SECRETS[name]} in the environment")
    if name not in SPECS:
        raise UsageError(f"unknown setting '{name}' (known: {', '.join(SPECS)})")
    path = config_path(env)
    values = read_file(path)
    try:
        values[name] = SPECS[name].parse(text)
    except ValueError as exc:
        raise UsageError(f"{name} {exc}, not {text!r}") from None
    atomic_write_text(path, _render(values))
    return path, values[name]


def unset_value(name, env=None):
    from pockettutor.utils.profiles import atomic_write_text

    if name not in SPECS:
        raise UsageError(f"unknown setting '{name}' (known: {', '.join(SPECS)})")
    path = config_path(env)
    values = read_file(path)
    if name in values:
        del values[name]
        atomic_write_text(path, _render(values))
    return path


def _render(values):
    header = "# PocketTutor settings (`tutor config show`); each is overridden by its environment variable.\n"
    return header + (yaml.safe_dump(values, sort_keys=False, allow_unicode=True) if values else "")
