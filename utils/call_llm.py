"""The one LLM seam: chat completions against any OpenAI-compatible endpoint.

`openai` is imported only when an LLMChat is built, so the offline engine never
pays its start-up cost. Tests replace LLMChat with a fake that has the same
methods, `complete`, `complete_json` and `stream`.
"""

import os
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass

from pockettutor.utils import settings
from pockettutor.utils.errors import LLMUnavailable


def llm_configured(env=None):
    """An API key in the environment, or a server in the settings."""
    env = os.environ if env is None else env
    return bool(env.get("OPENAI_API_KEY") or settings.value("base_url", env))


@dataclass(frozen=True)
class LLMConfig:
    model: str
    base_url: str | None
    timeout: float
    # Kept out of repr so the key cannot reach a log or a traceback by accident.
    api_key: str | None = None

    def __repr__(self):
        return f"LLMConfig(model={self.model!r}, base_url={redact(self.base_url)!r}, timeout={self.timeout})"

    @classmethod
    def from_env(cls, env=None, model=None):
        """The settings (config file, overridden by the environment); `model` is --model."""
        env = os.environ if env is None else env
        chosen = settings.resolved(env)
        return cls(
            model=model or chosen["model"].value,
            base_url=chosen["base_url"].value,
            timeout=chosen["timeout"].value,
            api_key=env.get("OPENAI_API_KEY") or None,
        )

    def describe(self):
        return f"{self.model} at {redact(self.base_url) or 'api.openai.com'}"


# Bounds on one reply: an explanation or a grade is a few hundred tokens; a server that
# sends megabytes is cut, and says so. Each kind of call asks for its own bound (teachers.py).
MAX_REPLY_TOKENS = 2000
MAX_REPLY_CHARS = 20_000
# Transient refusals (a 429 rate limit, a 5xx, a dropped connection) are retried within the
# call's deadline: at most this many requests, waiting as the server asks or 0.5 s, 1 s.
MAX_ATTEMPTS = 3
FIRST_BACKOFF_SECONDS = 0.5
# After a timeout the server is left alone this long before it is tried again.
REST_SECONDS = 120


class ServerResting(Exception):
    """A call not sent: the server timed out a moment ago (the circuit breaker is open)."""


class UnusableReply(ValueError):
    """The server answered, but not with something the tutor can use: the message says why."""


class ReplyCut(UnusableReply):
    """The reply stopped at its token limit (finish_reason "length")."""


def redact(url):
    """A URL with any user name and password in it replaced by '***'."""
    return re.sub(r"(?<=://)[^/@\s]+@", "***@", url) if url else url


# USD per million tokens (prompt, completion), OpenAI's list prices for the models named;
# TUTOR_PRICE="IN,OUT" sets them for any other model.
PRICES_PER_MILLION = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
}
CHARS_PER_TOKEN = 4  # the estimate for streamed replies, whose usage servers may not report


@dataclass
class Usage:
    """Tokens a session has spent, for /progress and the end of a session."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False

    def add(self, prompt_tokens, completion_tokens, estimated=False):
        self.calls += 1
        self.prompt_tokens += int(prompt_tokens)
        self.completion_tokens += int(completion_tokens)
        self.estimated = self.estimated or estimated

    def describe(self, price=None):
        about = "about " if self.estimated else ""
        line = (
            f"LLM use: {self.calls} calls, {about}{self.prompt_tokens:,} prompt + "
            f"{self.completion_tokens:,} completion tokens"
        )
        if price:
            cost = (self.prompt_tokens * price[0] + self.completion_tokens * price[1]) / 1_000_000
            line += f", about ${cost:.4f}"
        return line + "."


def price_for(model, env=None):
    """(prompt, completion) USD per million tokens, or None when unknown."""
    env = os.environ if env is None else env
    if env.get("TUTOR_PRICE"):
        parts = [settings.finite_number(part) for part in env["TUTOR_PRICE"].split(",")]
        if len(parts) != 2 or any(part is None or part < 0 for part in parts):
            raise LLMUnavailable(f"TUTOR_PRICE must be 'IN,OUT' dollars per million tokens, not {env['TUTOR_PRICE']!r}")
        return parts[0], parts[1]
    return PRICES_PER_MILLION.get(model)


def _estimate(texts):
    return sum(len(text or "") for text in texts) / CHARS_PER_TOKEN


# The strongest first. "json_object_schema" is json_object with the schema beside it, which
# llama-cpp-python's server turns into a grammar (it refuses json_schema); others ignore it.
JSON_MODES = ("json_schema", "json_object_schema", "json_object", "plain")
# Words in an error that blames the response format (llama.cpp says, with HTTP 500:
# 'response_format type must be one of "text" or "json_object", but got: json_schema').
FORMAT_WORDS = ("response_format", "json_schema", "json_object", "grammar", "schema")


def _response_format(mode, name, schema):
    if mode == "json_schema":
        return {"response_format": {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}}
    if mode == "json_object_schema":
        return {"response_format": {"type": "json_object", "schema": schema}}
    if mode == "json_object":
        return {"response_format": {"type": "json_object"}}
    return {}


def _refuses_format(exc):
    import openai

    if isinstance(exc, openai.NotFoundError):
        # Ollama answers 404 for a model it does not have: no format would help.
        return "model" not in _server_said(exc).lower()
    if isinstance(exc, (openai.BadRequestError, openai.UnprocessableEntityError)):
        return True
    return isinstance(exc, openai.InternalServerError) and any(w in str(exc).lower() for w in FORMAT_WORDS)


# An OpenAI key as servers echo it back ("Incorrect API key provided: sk-ab***yz").
KEY_PATTERN = re.compile(r"\bsk-[A-Za-z0-9_*.-]{4,}")


def _server_said(exc):
    """The server's own reason, from an error body ({"error": {"message": ...}}) or the message."""
    body = getattr(exc, "body", None)
    said = None
    if isinstance(body, dict):
        error = body.get("error", body)
        said = error.get("message") if isinstance(error, dict) else error
    said = str(said or getattr(exc, "message", None) or exc or type(exc).__name__)
    key = os.environ.get("OPENAI_API_KEY")
    if key:
        said = said.replace(key, "***")
    return " ".join(KEY_PATTERN.sub("sk-***", said).split())[:300]


def failure_reason(exc):
    """Why a call failed, in one line, with what fixes it: the server's own words
    where it gave any (model not found, bad key, quota), never the key."""
    status = getattr(exc, "status_code", None)
    said = _server_said(exc)
    where = getattr(getattr(exc, "request", None), "url", None)
    server = redact(f"{where.scheme}://{where.host}:{where.port}" if where else "") or "the server"
    kind = type(exc).__name__
    if status == 404 and "model" in said.lower():
        return f"{server} has no such model ({said}): pull it, or choose one with --model or `tutor config set model`"
    if status == 404:
        return f"{server} answered 404 ({said}): check base_url (it usually ends in /v1) with `tutor config show`"
    if status == 401:
        return f"{server} refused the API key ({said}): check OPENAI_API_KEY"
    if status == 403:
        return f"{server} refused access ({said}): check that the key may use this model"
    if status == 429 and ("quota" in said.lower() or "billing" in said.lower()):
        return f"the account is out of quota ({said}): check its plan and billing, or use --offline"
    if status == 429:
        return f"{server} is limiting requests ({said}): wait a moment, or use --offline"
    if kind == "APITimeoutError" or isinstance(exc, TimeoutError):
        return f"no reply in time ({said}): a slow server may need `tutor config set timeout SECONDS`"
    if kind == "APIConnectionError" or isinstance(exc, ConnectionError):
        return f"cannot reach {server} ({said}): is the server running? `tutor doctor --llm` checks"
    if status:
        return f"{server} failed with HTTP {status} ({said})"
    if isinstance(exc, UnusableReply):
        return str(exc)
    return kind  # a reply the tutor could not use: its kind says which check it failed


class LLMChat:
    """A chat-completions client. Errors are the openai package's own, or UnusableReply;
    the nodes fall back to the offline engine.

    One deadline per call: TUTOR_LLM_TIMEOUT bounds everything a call does (each request
    gets only the time left, transient refusals are retried only while time is left, and a
    streamed reply must end by it), so a turn never waits longer than the setting."""

    def __init__(self, config):
        try:
            import openai
        except ImportError:
            raise LLMUnavailable("the LLM engine needs the 'openai' package: pip install openai") from None
        self.config = config
        self._json_mode, self._json_mode_works = JSON_MODES[0], False
        self.usage = Usage()
        self.price = price_for(config.model)
        self._resting_until = 0.0
        # Shown while a request waits for the server; the session sets the console's.
        self.waiting = _no_indicator
        # Local servers (Ollama, llama.cpp, vLLM) accept any key; the client insists on one.
        # Retries are the tutor's own (see _request), so that they stay within the deadline.
        self._client = openai.OpenAI(
            api_key=config.api_key or "not-needed", base_url=config.base_url, timeout=config.timeout, max_retries=0
        )

    def _check_awake(self):
        """The circuit breaker: after a timeout or a lost connection the server is
        left alone for REST_SECONDS, every call failing at once, so a hung server
        costs one wait, not one per turn; then it is tried again."""
        left = self._resting_until - time.monotonic()
        if left > 0:
            raise ServerResting(f"the LLM did not answer in time; it is left alone for {REST_SECONDS // 60} minutes")

    def _note_failure(self, exc):
        if type(exc).__name__ in ("APITimeoutError", "APIConnectionError") or isinstance(exc, TimeoutError):
            self._resting_until = time.monotonic() + REST_SECONDS

    def _request(self, deadline, retry_transient=True, **params):
        """One chat-completions request within `deadline` (time.monotonic()), retrying a
        transient refusal while time is left. Each try gets only the time left."""
        self._check_awake()
        for attempt in range(MAX_ATTEMPTS):
            left = deadline - time.monotonic()
            if left <= 0:
                self._resting_until = time.monotonic() + REST_SECONDS
                raise TimeoutError(f"no reply within {self.config.timeout:g} s")
            try:
                with self.waiting("Waiting for the LLM…"):
                    return self._client.with_options(timeout=left).chat.completions.create(
                        model=self.config.model, **params
                    )
            except Exception as exc:
                wait = _retry_wait(exc, attempt) if retry_transient else None
                if wait is None or attempt == MAX_ATTEMPTS - 1 or time.monotonic() + wait >= deadline:
                    self._note_failure(exc)
                    raise
                time.sleep(wait)

    def complete(self, messages, max_tokens=MAX_REPLY_TOKENS):
        deadline = time.monotonic() + self.config.timeout
        return self._complete(deadline, True, messages, max_tokens, {})

    def complete_json(self, messages, name, schema, max_tokens=MAX_REPLY_TOKENS):
        """A reply meant to be JSON. The strongest response format the server
        takes is used: `json_schema`, else `json_object` with the schema beside it,
        else `json_object`, else plain text (the caller also accepts a fenced block).
        A server that refuses a format (a 4xx, or llama.cpp's HTTP 500 naming the
        format) is asked again at once with the next one, within the same deadline,
        and the session remembers what works. Until a format has worked once, a
        refusal is not retried as if it were transient."""
        deadline = time.monotonic() + self.config.timeout
        while True:
            mode = self._json_mode
            try:
                reply = self._complete(
                    deadline, self._json_mode_works, messages, max_tokens, _response_format(mode, name, schema)
                )
            except Exception as exc:
                if mode != "plain" and not isinstance(exc, UnusableReply) and _refuses_format(exc):
                    self._json_mode = JSON_MODES[JSON_MODES.index(mode) + 1]
                    continue
                raise
            self._json_mode_works = True
            return reply

    def _complete(self, deadline, retry_transient, messages, max_tokens, extra):
        response = self._request(deadline, retry_transient, messages=messages, max_tokens=max_tokens, **extra)
        if not response.choices:
            raise UnusableReply("the LLM answered with no choices")
        # A server that ignores max_tokens still cannot fill a prompt, a profile or a transcript.
        content = (response.choices[0].message.content or "")[:MAX_REPLY_CHARS]
        if response.usage:
            self.usage.add(response.usage.prompt_tokens, response.usage.completion_tokens)
        else:
            self.usage.add(_estimate(m["content"] for m in messages), _estimate([content]), estimated=True)
        if response.choices[0].finish_reason == "length":
            raise ReplyCut(f"the LLM's reply stopped at its {max_tokens}-token limit")
        return content

    def stream(self, messages, max_tokens=MAX_REPLY_TOKENS):
        """Yields text as it arrives. The request is sent before the first
        chunk is asked for, so a refused connection fails here, not later."""
        deadline = time.monotonic() + self.config.timeout
        response = self._request(deadline, True, messages=messages, stream=True, max_tokens=max_tokens)

        def chunks():
            finished, text = False, ""
            for event in response:
                # TUTOR_LLM_TIMEOUT bounds the whole reply, not only the wait for each piece.
                if time.monotonic() > deadline:
                    response.close()
                    self._resting_until = time.monotonic() + REST_SECONDS
                    raise TimeoutError(f"the LLM's reply took longer than {self.config.timeout:g} s")
                if not event.choices:
                    continue
                choice = event.choices[0]
                if choice.delta and choice.delta.content:
                    piece = choice.delta.content[: MAX_REPLY_CHARS - len(text)]
                    text += piece
                    yield piece
                    if len(text) >= MAX_REPLY_CHARS:
                        response.close()
                        yield f"\n\n*(The reply was cut at {MAX_REPLY_CHARS:,} characters.)*"
                        finished = True
                        break
                if choice.finish_reason == "length":
                    yield "\n\n*(The LLM's reply stopped here, at its length limit.)*"
                finished = finished or bool(choice.finish_reason)
            self.usage.add(_estimate(m["content"] for m in messages), _estimate([text]), estimated=True)
            # A dropped connection ends the stream quietly; only a finish reason says it is whole.
            if not finished:
                raise UnusableReply("its reply stopped before it finished")

        return chunks()


@contextmanager
def _no_indicator(label):
    yield


def _retry_wait(exc, attempt):
    """Seconds to wait before trying again after `exc`, or None when it is not worth it:
    a rate limit (not an empty account), a server error or a dropped connection is; a
    timeout is not (the deadline has gone), nor a refusal of the request itself."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return None
    status = getattr(exc, "status_code", None)
    if isinstance(exc, openai.APIConnectionError) or status in (408, 409) or (status and status >= 500):
        return _server_asks(exc) or FIRST_BACKOFF_SECONDS * 2**attempt
    if status == 429 and "quota" not in _server_said(exc).lower():
        return _server_asks(exc) or FIRST_BACKOFF_SECONDS * 2**attempt
    return None


def _server_asks(exc):
    """The wait a Retry-After (or retry-after-ms) header asks for, in seconds."""
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    try:
        if headers.get("retry-after-ms"):
            return float(headers["retry-after-ms"]) / 1000
        if headers.get("retry-after"):
            return float(headers["retry-after"])
    except ValueError:
        return None
    return None
