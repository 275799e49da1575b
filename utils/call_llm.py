"""The one LLM seam: chat completions against any OpenAI-compatible endpoint.

`openai` is imported only when an LLMChat is built, so the offline engine never
pays its start-up cost. Tests replace LLMChat with a fake that has the same
methods, `complete`, `complete_json` and `stream`.
"""

import math
import os
import re
import time
from dataclasses import dataclass

from pockettutor.utils.errors import LLMUnavailable

DEFAULT_MODEL = "gpt-4o-mini"


def llm_configured(env=None):
    env = os.environ if env is None else env
    return bool(env.get("OPENAI_API_KEY") or env.get("OPENAI_BASE_URL"))


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
    def from_env(cls, env=None):
        env = os.environ if env is None else env
        timeout = _number(env.get("TUTOR_LLM_TIMEOUT", "60"))
        if timeout is None or not 0 < timeout <= MAX_TIMEOUT:
            raise LLMUnavailable(
                f"TUTOR_LLM_TIMEOUT must be a number of seconds above 0 and at most {MAX_TIMEOUT}, "
                f"not {env['TUTOR_LLM_TIMEOUT']!r}"
            )
        return cls(
            model=env.get("TUTOR_MODEL") or DEFAULT_MODEL,
            base_url=env.get("OPENAI_BASE_URL") or None,
            timeout=timeout,
            api_key=env.get("OPENAI_API_KEY") or None,
        )

    def describe(self):
        return f"{self.model} at {redact(self.base_url) or 'api.openai.com'}"


# Bounds on one reply: an explanation or a grade is a few hundred tokens; a server that
# sends megabytes is cut, and says so.
MAX_REPLY_TOKENS = 2000
MAX_REPLY_CHARS = 20_000
# After a timeout the server is left alone this long before it is tried again.
REST_SECONDS = 120


class ServerResting(Exception):
    """A call not sent: the server timed out a moment ago (the circuit breaker is open)."""


# An hour: longer than any answer is worth waiting for, short of a typo's 1e309.
MAX_TIMEOUT = 3600


def _number(text):
    """A finite float, or None."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


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
        parts = [_number(part) for part in env["TUTOR_PRICE"].split(",")]
        if len(parts) != 2 or any(part is None or part < 0 for part in parts):
            raise LLMUnavailable(f"TUTOR_PRICE must be 'IN,OUT' dollars per million tokens, not {env['TUTOR_PRICE']!r}")
        return parts[0], parts[1]
    return PRICES_PER_MILLION.get(model)


def _estimate(texts):
    return sum(len(text or "") for text in texts) / CHARS_PER_TOKEN


JSON_MODES = ("json_schema", "json_object", "plain")
# Words in an error that blames the response format (llama.cpp says, with HTTP 500:
# 'response_format type must be one of "text" or "json_object", but got: json_schema').
FORMAT_WORDS = ("response_format", "json_schema", "json_object", "grammar", "schema")


def _response_format(mode, name, schema):
    if mode == "json_schema":
        return {"response_format": {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}}
    if mode == "json_object":
        return {"response_format": {"type": "json_object"}}
    return {}


def _refuses_format(exc):
    import openai

    if isinstance(exc, (openai.BadRequestError, openai.UnprocessableEntityError, openai.NotFoundError)):
        return True
    return isinstance(exc, openai.InternalServerError) and any(w in str(exc).lower() for w in FORMAT_WORDS)


class LLMChat:
    """A chat-completions client. Errors are the openai package's own; the
    nodes retry and then fall back to the offline engine."""

    def __init__(self, config):
        try:
            import openai
        except ImportError:
            raise LLMUnavailable("the LLM engine needs the 'openai' package: pip install openai") from None
        self.config = config
        # Local servers (Ollama, llama.cpp, vLLM) accept any key; the client insists on one.
        self._json_mode, self._json_mode_works = JSON_MODES[0], False
        self.usage = Usage()
        self.price = price_for(config.model)
        self._resting_until = 0.0
        self._client = openai.OpenAI(
            api_key=config.api_key or "not-needed",
            base_url=config.base_url,
            timeout=config.timeout,
            max_retries=2,
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

    def complete(self, messages):
        return self._complete(self._client, messages, {})

    def complete_json(self, messages, name, schema):
        """A reply meant to be JSON. The strongest response format the server
        takes is used: `json_schema`, else `json_object`, else plain text (the
        caller also accepts a fenced block). A server that refuses a format
        (a 4xx, or llama.cpp's HTTP 500 naming the format) is asked again at
        once with the next one, and the session remembers what works. Until a
        format has worked once, the client does not retry on its own, so a
        refusal costs one request, not three."""
        while True:
            mode = self._json_mode
            client = self._client if self._json_mode_works else self._client.with_options(max_retries=0)
            try:
                reply = self._complete(client, messages, _response_format(mode, name, schema))
            except Exception as exc:
                if mode != "plain" and _refuses_format(exc):
                    self._json_mode = JSON_MODES[JSON_MODES.index(mode) + 1]
                    continue
                raise
            self._json_mode_works = True
            return reply

    def _complete(self, client, messages, extra):
        self._check_awake()
        try:
            response = client.chat.completions.create(
                model=self.config.model, messages=messages, max_tokens=MAX_REPLY_TOKENS, **extra
            )
        except Exception as exc:
            self._note_failure(exc)
            raise
        if not response.choices:
            raise ValueError("the LLM answered with no choices")
        # A server that ignores max_tokens still cannot fill a prompt, a profile or a transcript.
        content = (response.choices[0].message.content or "")[:MAX_REPLY_CHARS]
        if response.usage:
            self.usage.add(response.usage.prompt_tokens, response.usage.completion_tokens)
        else:
            self.usage.add(_estimate(m["content"] for m in messages), _estimate([content]), estimated=True)
        return content

    def stream(self, messages):
        """Yields text as it arrives. The request is sent before the first
        chunk is asked for, so a refused connection fails here, not later."""
        self._check_awake()
        deadline = time.monotonic() + self.config.timeout
        try:
            response = self._client.chat.completions.create(
                model=self.config.model, messages=messages, stream=True, max_tokens=MAX_REPLY_TOKENS
            )
        except Exception as exc:
            self._note_failure(exc)
            raise

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
                finished = finished or bool(choice.finish_reason)
            self.usage.add(_estimate(m["content"] for m in messages), _estimate([text]), estimated=True)
            # A dropped connection ends the stream quietly; only a finish reason says it is whole.
            if not finished:
                raise ConnectionError("the LLM's reply stopped before it finished")

        return chunks()
