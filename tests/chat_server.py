"""A small OpenAI-compatible chat-completions server for the tests.

It listens on 127.0.0.1 only (port 0: the system picks a free port), answers
POST /v1/chat/completions (and /chat/completions) from a queue of scripted
replies, and records every request so a test can assert on what the client
sent. It never opens a connection of its own.

    with ChatServer() as server:
        server.script(text("Hello there."), grading_json, fault(500))
        ... point OPENAI_BASE_URL at server.base_url ...
        server.bodies()   # the parsed JSON request bodies, in order

A scripted reply is answered as a normal chat.completion object, or, when the
request asks for "stream": true, as Server-Sent Events: one
chat.completion.chunk per piece of text, then `data: [DONE]`. A fault is an
HTTP error status with an OpenAI-style error body.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = "127.0.0.1"
PATHS = ("/v1/chat/completions", "/chat/completions")


@dataclass
class Reply:
    """One scripted answer. `content` is the assistant's text; `chunks`, when
    given, are the pieces a streamed answer is sent in (by default: word by
    word). `status` other than 200 makes it a fault with `error` as message.
    `delay` seconds are waited before answering (to provoke client timeouts)."""

    content: str = ""
    chunks: list | None = None
    status: int = 200
    error: str = "scripted fault"
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    finish_reason: str = "stop"
    cut_after: int | None = None  # streamed: drop the connection after this many pieces
    piece_delay: float = 0.0  # streamed: seconds between pieces (a server that trickles)

    def pieces(self):
        if self.chunks is not None:
            return list(self.chunks)
        words = self.content.split(" ")
        return [word + " " for word in words[:-1]] + [words[-1]]


def text(content, chunks=None, delay=0.0):
    return Reply(content=content, chunks=chunks, delay=delay)


def fault(status=500, error="the scripted server failed", headers=None, delay=0.0):
    return Reply(status=status, error=error, headers=dict(headers or {}), delay=delay)


def as_reply(item):
    if isinstance(item, Reply):
        return item
    if isinstance(item, (dict, list)):
        return Reply(content=json.dumps(item))
    return Reply(content=str(item))


class ChatServer:
    """Start with `start()` (or `with`), stop with `stop()`. `default` is the
    reply used once the queue is empty; without one, a request beyond the
    script gets a 400 error marked non-retryable (and counted in
    `unscripted`), so a test fails loudly rather than hanging."""

    def __init__(self, replies=(), default=None, model="test-model"):
        self._lock = threading.Lock()
        self._queue = [as_reply(r) for r in replies]
        self.default = as_reply(default) if default is not None else None
        self.model = model
        self.requests = []  # {"path", "headers", "body", "time"}
        self.unscripted = 0
        self._stopping = threading.Event()
        self._server = None
        self._thread = None
        self._counter = 0

    # -- scripting -------------------------------------------------------
    def script(self, *replies):
        with self._lock:
            self._queue.extend(as_reply(r) for r in replies)

    def remaining(self):
        with self._lock:
            return len(self._queue)

    def _next_reply(self):
        with self._lock:
            self._counter += 1
            if self._queue:
                return self._queue.pop(0), self._counter
            if self.default is not None:
                return self.default, self._counter
            self.unscripted += 1
            return Reply(status=400, error="no scripted reply left", headers={"x-should-retry": "false"}), self._counter

    def bodies(self):
        with self._lock:
            return [r["body"] for r in self.requests]

    # -- life cycle ------------------------------------------------------
    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def base_url(self):
        return f"http://{HOST}:{self.port}/v1"

    def start(self):
        server = ThreadingHTTPServer((HOST, 0), _handler_for(self))
        server.daemon_threads = True
        assert server.server_address[0] == HOST
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _wait(self, seconds):
        """Sleep, but wake at once when the server is stopping."""
        self._stopping.wait(seconds)

    def _record(self, entry):
        with self._lock:
            self.requests.append(entry)


def _handler_for(chat):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ChatTestServer/1"

        def log_message(self, format, *args):  # keep pytest output clean
            pass

        def _send_json(self, status, payload, headers=None):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()

        def do_GET(self):
            self._send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                body = {"_unparsed": raw.decode("utf-8", "replace")}
            path = self.path.split("?")[0]
            chat._record(
                {
                    "path": path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                    "time": time.monotonic(),
                }
            )
            if path not in PATHS:
                self._send_json(
                    404,
                    {"error": {"message": f"no route {path}", "type": "invalid_request_error"}},
                    {"x-should-retry": "false"},
                )
                return
            reply, number = chat._next_reply()
            if reply.delay:
                chat._wait(reply.delay)
            if chat._stopping.is_set():
                return
            if reply.status != 200:
                error = {
                    "message": reply.error,
                    "type": "server_error" if reply.status >= 500 else "invalid_request_error",
                    "param": None,
                    "code": None,
                }
                self._send_json(reply.status, {"error": error}, reply.headers)
                return
            model = (body or {}).get("model") or chat.model
            ident, created = f"chatcmpl-test-{number}", int(time.time())
            try:
                if isinstance(body, dict) and body.get("stream"):
                    self._stream(reply, ident, created, model)
                else:
                    self._complete(reply, ident, created, model)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (e.g. its timeout): nothing to do

        def _complete(self, reply, ident, created, model):
            prompt_tokens, completion_tokens = 10, max(1, len(reply.content.split()))
            payload = {
                "id": ident,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply.content},
                        "logprobs": None,
                        "finish_reason": reply.finish_reason,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            }
            self._send_json(200, payload, reply.headers)

        def _stream(self, reply, ident, created, model):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Connection", "close")  # the end of the body is the end of the connection
            self.end_headers()

            def event(delta, finish=None):
                chunk = {
                    "id": ident,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
                }
                self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
                self.wfile.flush()

            event({"role": "assistant", "content": ""})
            for number, piece in enumerate(reply.pieces()):
                if number == reply.cut_after:
                    self.close_connection = True
                    return  # cut mid-stream: no finish, no [DONE]
                if reply.piece_delay:
                    chat._wait(reply.piece_delay)
                event({"content": piece})
            event({}, reply.finish_reason)
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler
