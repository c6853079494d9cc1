"""A small OpenAI-compatible HTTP server for the project's tests.

Tests talk to this server on loopback (127.0.0.1) instead of the internet. It speaks the
subset of the OpenAI HTTP API that the project may use -- Chat Completions, Models, Files
and Batches -- with the same JSON shapes as the real service, and it can inject the faults
a real deployment produces (rate limits, server errors, hangs, truncated bodies).

Standard library only. Two ways to use it:

* in-process::

      with OpenAIServer(responder=ScriptedResponder([Reply(content="hi")])) as srv:
          client = openai.OpenAI(base_url=srv.base_url, api_key="test-key", max_retries=0)
          ...
          assert srv.requests[0]["path"] == "/v1/chat/completions"

* as a separate process (prints exactly one line, then serves until SIGTERM/SIGINT)::

      python tests/support/openai_server.py --port 0 --latency-ms 200 --fault-rate 0.2 \\
          --seed 1 --hang-s 5 --log requests.jsonl --responder some.module:factory
      listening on http://127.0.0.1:PORT/v1

A *responder* is any callable ``(request_body: dict) -> Reply``; it decides what the
"model" answers. The server wraps the Reply into a full ``chat.completion`` object.

Deliberate behaviour worth knowing:

* Injected faults are drawn (seeded RNG, one draw per chat request, in arrival order) before
  the responder is consulted. "429", "500" and "malformed" never call the responder, so a
  ScriptedResponder's script is not consumed by a faulted request. "timeout" waits
  ``hang_s`` and then answers normally -- unless the client has hung up meanwhile, in which
  case nothing is answered and the responder is not called.
* ``latency_s`` applies to chat completion requests (the "model" calls) only. It is the time
  from a request's arrival to its answer: the responder runs when the request arrives, within
  the latency, so a quick responder adds nothing. A client that hangs up during the latency
  gets no answer, but the responder has already run (a ScriptedResponder's reply is used up).
  A faulted request waits the same latency; "timeout" then hangs, and answers (after any
  ``Reply.delay_s``) only if the client is still there.
* Faults and latency are not applied inside batches; batch lines go straight to the
  responder.
* POST /v1/responses (and every other path not listed above) answers 404 the way the real
  API does for an unknown URL.
"""

from __future__ import annotations

import argparse
import contextlib
import email.message
import email.parser
import email.utils
import importlib
import json
import math
import random
import select
import signal
import socket
import string
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_MODELS",
    "FAULT_KINDS",
    "EchoResponder",
    "OpenAIServer",
    "Reply",
    "RequestLog",
    "Responder",
    "ScriptedResponder",
    "approx_tokens",
    "build_chat_completion",
    "error_object",
    "load_responder",
    "main",
    "parse_multipart",
]

REPO_ROOT = Path(__file__).resolve().parents[2]

FAULT_KINDS: tuple[str, ...] = ("429", "500", "timeout", "malformed")
DEFAULT_MODELS: tuple[str, ...] = ("gpt-4o-mini", "gpt-4o")

# Headers that carry credentials; they are never logged.
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "api-key", "x-api-key", "cookie"})

_FILE_PURPOSES = frozenset(
    {"assistants", "batch", "fine-tune", "vision", "user_data", "evals", "batch_output", "assistants_output"}
)
_BATCH_TERMINAL = frozenset({"completed", "failed", "cancelled", "expired"})

_ALNUM = string.ascii_letters + string.digits
_id_rng = random.Random()  # ids only; the fault RNG is separate and seeded
_id_lock = threading.Lock()


def _rand(n: int, alphabet: str = _ALNUM) -> str:
    with _id_lock:
        return "".join(_id_rng.choice(alphabet) for _ in range(n))


def _new_id(prefix: str) -> str:
    if prefix in ("chatcmpl-", "call_", "file-"):
        return prefix + _rand({"chatcmpl-": 29, "call_": 24, "file-": 22}[prefix])
    return prefix + _rand(32, "0123456789abcdef")


# ---------------------------------------------------------------------------------------------
# Replies and responders
# ---------------------------------------------------------------------------------------------


@dataclass
class Reply:
    """What the fake model answers to one chat completion request.

    content: assistant text (``message.content``).
    tool_call_arguments: JSON text returned as the arguments of a function tool call when the
        request offers ``tools`` (and ``tool_choice`` is not "none"); the function name is the
        forced ``tool_choice`` name or else the first function tool's name. ``content`` is then
        null and ``finish_reason`` becomes "tool_calls". When the request has no tools and
        ``content`` and ``refusal`` are both None, the arguments are returned as ``content``
        instead, so one Reply serves both tool-calling and ``response_format`` (JSON) callers.
    refusal: ``message.refusal`` text.
    finish_reason: ``choices[0].finish_reason``.
    status: HTTP status. With status >= 400 (or ``error`` set) the body is ``{"error": ...}``.
    error: OpenAI error object ``{"message","type","param","code"}``; a default one matching
        ``status`` is used when status >= 400 and error is None. An error with status < 400 is
        sent as 400.
    headers: extra response headers (e.g. {"retry-after": "1"}); they override the defaults.
    raw_body: bytes sent verbatim as the body (Content-Type application/json unless overridden
        in ``headers``), for malformed-body tests.
    delay_s: extra seconds before answering, on top of the server's latency.
    chunk_delay_s: when streamed (a server started with streaming=True and a request with
        stream=true), seconds between the answer's chunks, as a slow model's tokens arrive.
    stall_after_chunks: when streamed, go silent after this many chunks (for the server's hang_s,
        or until the client hangs up), as a server that stalls mid-answer.
    """

    content: str | None = None
    tool_call_arguments: str | None = None
    refusal: str | None = None
    finish_reason: str = "stop"
    status: int = 200
    error: dict | None = None
    headers: dict = field(default_factory=dict)
    raw_body: bytes | None = None
    delay_s: float = 0
    chunk_delay_s: float = 0
    stall_after_chunks: int | None = None

    # Convenience constructors for common scripted failures.
    @classmethod
    def rate_limited(cls, retry_after_s: float = 1, message: str | None = None) -> Reply:
        """A 429 exactly like the fault injector sends (retry-after and retry-after-ms headers)."""
        return cls(status=429, error=_rate_limit_error(retry_after_s, message), headers=_retry_headers(retry_after_s))

    @classmethod
    def server_error(cls, status: int = 500) -> Reply:
        return cls(status=status, error=_server_error())

    @classmethod
    def malformed(cls, raw_body: bytes = b'{"id": "chatcmpl-trunc", "object": "chat.comp') -> Reply:
        return cls(raw_body=raw_body)


Responder = Callable[[dict], Reply]
ReplyLike = Reply | str | dict | Callable[[dict], Any]


def _coerce_reply(value: Any) -> Reply:
    """Accept a Reply, a str (content), a dict (Reply fields), or any Reply-shaped object.

    Duck-typed on purpose: the module may be imported twice under different names
    (``support.openai_server`` and ``tests.support.openai_server``), giving two Reply classes.
    """
    if isinstance(value, Reply):
        return value
    if isinstance(value, str):
        return Reply(content=value)
    if isinstance(value, dict):
        return Reply(**value)
    if hasattr(value, "status") and hasattr(value, "content") and hasattr(value, "raw_body"):
        return Reply(**{name: getattr(value, name) for name in Reply.__dataclass_fields__ if hasattr(value, name)})
    raise TypeError(f"responder returned {type(value).__name__}; expected Reply, str or dict")


class ScriptedResponder:
    """Thread-safe queue of replies, popped in order, one per request.

    Items may be Reply objects, strings (shorthand for Reply(content=...)), dicts of Reply
    fields, or callables ``(request_body) -> Reply`` evaluated when popped. When the queue is
    empty, ``default`` is returned if given, else a 500 whose message says the script is
    exhausted. Every request body seen is recorded in ``calls``.
    """

    def __init__(self, replies: Iterable[ReplyLike] = (), *, default: ReplyLike | None = None) -> None:
        self._lock = threading.Lock()
        self._queue: list[ReplyLike] = list(replies)
        self._default = default
        self.calls: list[dict] = []

    def push(self, *replies: ReplyLike) -> None:
        with self._lock:
            self._queue.extend(replies)

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._queue)

    def __call__(self, request_body: dict) -> Reply:
        with self._lock:
            self.calls.append(request_body)
            number = len(self.calls)
            item = self._queue.pop(0) if self._queue else None
            default = self._default
        if item is None:
            if default is None:
                return Reply(
                    status=500,
                    error=error_object(
                        f"ScriptedResponder exhausted: no scripted reply left for request #{number} "
                        f"(model={request_body.get('model')!r})",
                        type="server_error",
                        code="test_script_exhausted",
                    ),
                )
            item = default
        if callable(item) and not isinstance(item, (Reply, str, dict)):
            item = item(request_body)
        return _coerce_reply(item)


class EchoResponder:
    """Answers every request with the same short text."""

    def __init__(self, text: str = "This is a reply from the test server.") -> None:
        self.text = text

    def __call__(self, request_body: dict) -> Reply:
        return Reply(content=self.text)


# ---------------------------------------------------------------------------------------------
# Response shapes
# ---------------------------------------------------------------------------------------------


def error_object(
    message: str, *, type: str = "invalid_request_error", param: str | None = None, code: str | None = None
) -> dict:
    """An OpenAI error object (the value under "error" in an error body)."""
    return {"message": message, "type": type, "param": param, "code": code}


def _server_error() -> dict:
    return error_object("The server had an error while processing your request. Sorry about that!", type="server_error")


def _fmt_seconds(value: float | str) -> str:
    v = float(value)
    return str(int(v)) if v == int(v) else repr(v)


def _retry_headers(retry_after_s: float | str) -> dict:
    return {
        "retry-after": _fmt_seconds(retry_after_s),
        "retry-after-ms": str(round(float(retry_after_s) * 1000)),
        "x-ratelimit-limit-requests": "60",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": f"{_fmt_seconds(retry_after_s)}s",
    }


def _rate_limit_error(retry_after_s: float | str, message: str | None = None) -> dict:
    return error_object(
        message
        or (
            "Rate limit reached for requests per min (RPM): Limit 60, Used 60, Requested 1. "
            f"Please try again in {_fmt_seconds(retry_after_s)}s."
        ),
        type="requests",
        code="rate_limit_exceeded",
    )


def _default_error(status: int) -> dict:
    if status == 401:
        return error_object("Incorrect API key provided.", code="invalid_api_key")
    if status == 403:
        return error_object("You are not allowed to perform this request.", type="permission_error")
    if status == 404:
        return error_object("The requested resource does not exist.")
    if status == 429:
        return _rate_limit_error(0)
    if status >= 500:
        return _server_error()
    return error_object(f"Request failed with status {status}.")


def approx_tokens(text: str) -> int:
    """Token estimate used for usage: ceil(characters / 4)."""
    return math.ceil(len(text) / 4)


def _messages_text(messages: Any) -> str:
    parts: list[str] = []
    if not isinstance(messages, list):
        return ""
    for message in messages:
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    parts.append(part["text"])
        for call in message.get("tool_calls") or []:
            if isinstance(call, dict) and isinstance(call.get("function"), dict):
                parts.append(str(call["function"].get("arguments") or ""))
    return "".join(parts)


def _tool_name(tools: Any, tool_choice: Any) -> str | None:
    if isinstance(tool_choice, dict):
        kind = tool_choice.get("type")
        if kind == "function" and isinstance(tool_choice.get("function"), dict):
            return tool_choice["function"].get("name")
        if kind == "allowed_tools":
            allowed = (tool_choice.get("allowed_tools") or {}).get("tools") or []
            for tool in allowed:
                if isinstance(tool, dict) and tool.get("type") == "function":
                    return (tool.get("function") or {}).get("name")
    for tool in tools if isinstance(tools, list) else []:
        if isinstance(tool, dict) and tool.get("type", "function") == "function":
            name = (tool.get("function") or {}).get("name")
            if name:
                return name
    return None


def build_chat_completion(request_body: dict, reply: Reply, *, completion_id: str | None = None) -> dict:
    """The ``chat.completion`` object the real API would return for ``reply``."""
    reply = _coerce_reply(reply)
    tools = request_body.get("tools")
    tool_choice = request_body.get("tool_choice")
    name = _tool_name(tools, tool_choice)

    message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": reply.refusal}
    finish_reason = reply.finish_reason
    produced = (reply.content or "") + (reply.refusal or "")
    if tools and reply.tool_call_arguments is not None and tool_choice != "none" and name:
        message["content"] = None
        message["tool_calls"] = [
            {
                "id": _new_id("call_"),
                "type": "function",
                "function": {"name": name, "arguments": reply.tool_call_arguments},
            }
        ]
        produced = (reply.refusal or "") + reply.tool_call_arguments
        if finish_reason == "stop":
            finish_reason = "tool_calls"
    elif reply.tool_call_arguments is not None and reply.content is None and reply.refusal is None:
        message["content"] = reply.tool_call_arguments
        produced = reply.tool_call_arguments
    message["annotations"] = []

    n = request_body.get("n")
    n = n if isinstance(n, int) and 1 <= n <= 16 else 1
    choices = []
    for index in range(n):
        choice_message = json.loads(json.dumps(message))  # independent copies
        choices.append({"index": index, "message": choice_message, "logprobs": None, "finish_reason": finish_reason})

    prompt_tokens = approx_tokens(_messages_text(request_body.get("messages")))
    completion_tokens = approx_tokens(produced) * n
    return {
        "id": completion_id or _new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request_body.get("model"),
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": "fp_test",
    }


# ---------------------------------------------------------------------------------------------
# Request log
# ---------------------------------------------------------------------------------------------


class RequestLog(Sequence[dict]):
    """Thread-safe list of logged requests. Reads return copies (snapshots).

    Each entry: seq, time, method, path, query, headers (lower-cased, without credentials),
    body (parsed JSON, a multipart summary, or None), request_id, client_port (equal ports
    mean one kept-alive connection), status (None while in
    flight or if the client hung up), fault (None or the injected fault kind), duration_s,
    outcome ("answered", "client_closed", "error" or "in_flight").
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict] = []

    def _append(self, entry: dict) -> None:
        with self._lock:
            entry["seq"] = len(self._entries)
            self._entries.append(entry)

    def _update(self, entry: dict, **changes: Any) -> dict:
        with self._lock:
            entry.update(changes)
            return dict(entry)

    def snapshot(self) -> list[dict]:
        with self._lock:
            return [dict(e) for e in self._entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def for_path(self, path: str, method: str | None = None) -> list[dict]:
        return [e for e in self.snapshot() if e["path"] == path and (method is None or e["method"] == method)]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __getitem__(self, index):  # type: ignore[override]
        with self._lock:
            if isinstance(index, slice):
                return [dict(e) for e in self._entries[index]]
            return dict(self._entries[index])

    def __iter__(self) -> Iterator[dict]:
        return iter(self.snapshot())

    def __repr__(self) -> str:
        return f"RequestLog({self.snapshot()!r})"


# ---------------------------------------------------------------------------------------------
# Multipart
# ---------------------------------------------------------------------------------------------


def parse_multipart(body: bytes, content_type: str) -> dict[str, dict]:
    """Parse multipart/form-data by hand (no cgi module).

    Returns {field name: {"filename": str | None, "content_type": str | None, "data": bytes}}.
    Raises ValueError when the body is not valid multipart/form-data.
    """
    ctype = email.message.Message()
    ctype["content-type"] = content_type
    if ctype.get_content_type() != "multipart/form-data":
        raise ValueError(f"expected multipart/form-data, got {content_type!r}")
    boundary = ctype.get_param("boundary")
    if not boundary or not isinstance(boundary, str):
        raise ValueError("multipart/form-data without a boundary")
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    chunks = (b"\r\n" + body).split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise ValueError("multipart body is missing its closing boundary")
    fields: dict[str, dict] = {}
    for chunk in chunks[1:-1]:
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("multipart part without a header block")
        # `head` starts after the delimiter: optional padding, CRLF, then headers.
        headers = email.parser.Parser().parsestr(
            head.split(b"\r\n", 1)[-1].decode("utf-8", "replace") + "\r\n\r\n", headersonly=True
        )
        name = headers.get_param("name", header="content-disposition")
        if name is None:
            raise ValueError("multipart part without a name")
        name = email.utils.collapse_rfc2231_value(name)
        fields[name] = {
            "filename": headers.get_filename(),
            "content_type": headers.get("content-type"),
            "data": data,
        }
    return fields


# ---------------------------------------------------------------------------------------------
# HTTP plumbing
# ---------------------------------------------------------------------------------------------


@dataclass
class _Response:
    status: int
    body: bytes
    headers: dict = field(default_factory=dict)
    content_type: str = "application/json"
    # A streamed answer: server-sent events written one by one (the body is then unused).
    events: list[bytes] | None = None
    event_delay_s: float = 0
    stall_after: int | None = None


def _header(headers: dict, name: str) -> str | None:
    for key, value in headers.items():
        if str(key).lower() == name:
            return str(value)
    return None


def _json_response(status: int, obj: Any, headers: dict | None = None) -> _Response:
    return _Response(status, json.dumps(obj).encode("utf-8"), dict(headers or {}))


def _error_response(status: int, error: dict, headers: dict | None = None) -> _Response:
    return _json_response(status, {"error": error}, headers)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    app: OpenAIServer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request, client_address):  # type: ignore[override]
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):  # type: ignore[override]
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_all_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes; avoid 40 ms delayed-ACK stalls
    server_version = "openai-test-server/1.0"
    sys_version = ""
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet; the app keeps its own log
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = bytearray()
            while True:
                size_line = self.rfile.readline(65537)
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline(65537)  # CRLF after the chunk
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        self.server.app._handle(self)

    def _send(self, response: _Response, request_id: str) -> bool:
        if response.events is not None:
            return self._send_events(response, request_id)
        headers = {
            "content-type": response.content_type,
            "x-request-id": request_id,
            "openai-version": "2020-10-01",
            "openai-processing-ms": "1",
        }
        for key, value in response.headers.items():
            headers[str(key).lower()] = str(value)
        headers["content-length"] = str(len(response.body))
        try:
            self.send_response(response.status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(response.body)
            self.wfile.flush()
            return True
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True
            return False

    def _send_events(self, response: _Response, request_id: str) -> bool:
        """Server-sent events, flushed one at a time; the body ends when the connection closes."""
        app = self.server.app
        self.close_connection = True
        try:
            self.send_response(response.status)
            self.send_header("content-type", "text/event-stream")
            self.send_header("x-request-id", request_id)
            self.send_header("connection", "close")
            self.end_headers()
            self.wfile.flush()
            for number, event in enumerate(response.events or []):
                if response.stall_after is not None and number == response.stall_after:
                    app._wait(self.connection, app.hang_s)
                    return False
                if response.event_delay_s and not app._wait(self.connection, response.event_delay_s):
                    return False
                self.wfile.write(event)
                self.wfile.flush()
            return True
        except (BrokenPipeError, ConnectionResetError, OSError):
            return False


def _client_gone(conn: socket.socket) -> bool:
    """True when the peer has closed the connection (readable with EOF)."""
    try:
        readable, _, _ = select.select([conn], [], [], 0)
        if not readable:
            return False
        return conn.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------


class OpenAIServer:
    """OpenAI-compatible test server on 127.0.0.1, served from a daemon thread.

    Use as a context manager (or call start()/stop()). ``base_url`` is
    "http://127.0.0.1:PORT/v1". ``requests`` is the thread-safe request log.
    """

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        latency_s: float = 0.0,
        fault_rate: float = 0.0,
        faults: Sequence[str] = FAULT_KINDS,
        seed: int | None = 0,
        hang_s: float = 30.0,
        retry_after: float | str = "0",
        batch_delay_s: float = 0.0,
        log_path: str | Path | None = None,
        models: Sequence[str] = DEFAULT_MODELS,
        api_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        streaming: bool = False,
    ) -> None:
        unknown = [f for f in faults if f not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; choose from {FAULT_KINDS}")
        if not 0.0 <= fault_rate <= 1.0:
            raise ValueError("fault_rate must be within [0, 1]")
        if fault_rate > 0 and not faults:
            raise ValueError("fault_rate > 0 needs at least one eligible fault")
        float(retry_after)  # validate early
        self.responder: Responder = responder if responder is not None else EchoResponder()
        self.latency_s = float(latency_s)
        self.fault_rate = float(fault_rate)
        self.faults = tuple(faults)
        self.seed = seed
        self.hang_s = float(hang_s)
        self.retry_after = retry_after
        self.batch_delay_s = float(batch_delay_s)
        self.log_path = Path(log_path) if log_path is not None else None
        self.models = tuple(models)
        self.api_key = api_key
        self.host = host
        self.streaming = streaming  # serve stream=true as server-sent events (else refuse it, 400)
        self._requested_port = port

        self.requests = RequestLog()
        self._fault_rng = random.Random(seed)
        self._fault_lock = threading.Lock()
        self._log_file_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._files: dict[str, dict] = {}
        self._batches: dict[str, dict] = {}
        self._stop = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> OpenAIServer:
        if self._httpd is not None:
            raise RuntimeError("server already started")
        self._stop.clear()
        httpd = _HTTPServer((self.host, self._requested_port), _Handler)
        httpd.app = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="openai-test-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stop.set()  # wakes hung / delayed handlers
        httpd.shutdown()
        httpd.close_all_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    # -- state accessors for tests ------------------------------------------------------------

    def file_bytes(self, file_id: str) -> bytes:
        with self._state_lock:
            return self._files[file_id]["data"]

    def batch(self, batch_id: str) -> dict:
        """Current batch object (advancing it like a GET would)."""
        return self._advance_batch(batch_id)

    # -- internals -----------------------------------------------------------------------------

    def _draw_fault(self) -> str | None:
        with self._fault_lock:
            hit = self._fault_rng.random() < self.fault_rate
            return self._fault_rng.choice(self.faults) if hit else None

    def _wait(self, conn: socket.socket, seconds: float) -> bool:
        """Wait, interruptibly. False if the server stops or the client hangs up meanwhile."""
        return self._wait_until(conn, time.monotonic() + seconds)

    def _wait_until(self, conn: socket.socket, deadline: float) -> bool:
        """Wait until ``deadline`` (time.monotonic), interruptibly; False as for :meth:`_wait`."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return not _client_gone(conn)
            if self._stop.wait(min(0.05, remaining)) or _client_gone(conn):
                return False

    def _write_log_line(self, entry: dict) -> None:
        if self.log_path is None:
            return
        line = json.dumps(entry, default=str)
        with self._log_file_lock:
            with open(self.log_path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")

    def _handle(self, handler: _Handler) -> None:
        started = time.time()
        request_id = _new_id("req_")
        method = handler.command
        split = urlsplit(handler.path)
        path = split.path.rstrip("/") or "/"
        try:
            raw = handler._read_body()
        except (ValueError, OSError):
            handler.close_connection = True
            raw = None

        token = None
        headers_for_log: dict[str, str] = {}
        for key, value in handler.headers.items():
            low = key.lower()
            if low == "authorization" and value.lower().startswith("bearer "):
                token = value[7:].strip()
            if low not in _SECRET_HEADERS:
                headers_for_log[low] = value
        if token:
            headers_for_log = {k: v.replace(token, "[REDACTED]") for k, v in headers_for_log.items()}

        content_type = handler.headers.get("Content-Type") or ""
        entry: dict[str, Any] = {
            "time": started,
            "method": method,
            "path": path,
            "query": split.query or None,
            "headers": headers_for_log,
            "body": _body_for_log(raw or b"", content_type),
            "request_id": request_id,
            "client_port": handler.client_address[1],
            "status": None,
            "fault": None,
            "duration_s": None,
            "outcome": "in_flight",
        }
        self.requests._append(entry)

        try:
            if raw is None:
                response = _error_response(400, error_object("Could not read the request body."))
            elif self.api_key is not None and token != self.api_key:
                response = _error_response(
                    401,
                    error_object(
                        "You didn't provide an API key." if token is None else "Incorrect API key provided.",
                        code=None if token is None else "invalid_api_key",
                    ),
                )
            else:
                response = self._route(handler.connection, method, path, raw, content_type, entry)
            outcome = "answered"
        except Exception as exc:  # a bug in a responder or in the server: answer 500, keep serving
            response = _error_response(
                500, error_object(f"test server error: {exc!r}", type="server_error", code="test_server_exception")
            )
            outcome = "error"

        if response is None:
            handler.close_connection = True
            final = self.requests._update(entry, outcome="client_closed", duration_s=time.time() - started)
            self._write_log_line(final)
        else:
            # Log before sending, so that a client holding the response always finds it logged.
            request_id = _header(response.headers, "x-request-id") or request_id
            final = self.requests._update(
                entry,
                status=response.status,
                request_id=request_id,
                outcome=outcome,
                duration_s=time.time() - started,
            )
            self._write_log_line(final)
            if not handler._send(response, request_id):
                self.requests._update(entry, outcome="client_closed")

    def _route(
        self, conn: socket.socket, method: str, path: str, raw: bytes, content_type: str, entry: dict
    ) -> _Response | None:
        parts = path.strip("/").split("/")
        if parts[:1] == ["v1"]:
            rest = parts[1:]
            if method == "POST" and rest == ["chat", "completions"]:
                return self._chat(conn, raw, entry)
            if method == "GET" and rest == ["models"]:
                return _json_response(200, {"object": "list", "data": [_model_obj(m) for m in self.models]})
            if method == "GET" and len(rest) == 2 and rest[0] == "models":
                if rest[1] in self.models:
                    return _json_response(200, _model_obj(rest[1]))
                return _error_response(
                    404,
                    error_object(
                        f"The model '{rest[1]}' does not exist or you do not have access to it.",
                        code="model_not_found",
                    ),
                )
            if rest[:1] == ["files"]:
                handled = self._files_api(method, rest[1:], raw, content_type)
                if handled is not None:
                    return handled
            if rest[:1] == ["batches"]:
                handled = self._batches_api(method, rest[1:], raw)
                if handled is not None:
                    return handled
        return _error_response(
            404,
            error_object(
                f"Unrecognized request URL ({method}: {path}). Please check the URL for typos, "
                "or see the docs at https://platform.openai.com/docs/api-reference/."
            ),
        )

    # -- chat completions ---------------------------------------------------------------------

    def _chat(self, conn: socket.socket, raw: bytes, entry: dict) -> _Response | None:
        # The latency is the model's time to answer, from arrival to response. Producing the
        # answer happens within it (as a real model's compute does), so the server's own work
        # does not add to the configured latency while it stays shorter than it.
        answer_at = time.monotonic() + self.latency_s
        fault = self._draw_fault()
        if fault is not None:
            self.requests._update(entry, fault=fault)
        if fault is not None and self.latency_s > 0 and not self._wait_until(conn, answer_at):
            return None
        if fault == "429":
            return _error_response(429, _rate_limit_error(self.retry_after), _retry_headers(self.retry_after))
        if fault == "500":
            return _error_response(500, _server_error())
        if fault == "timeout":
            if not self._wait(conn, self.hang_s):
                return None
            answer_at = time.monotonic()  # the hang took the place of the latency

        body, problem = _parse_json_body(raw)
        if problem is None:
            problem = _validate_chat(body, streaming=self.streaming)
        if problem is not None:
            return problem if self._wait_until(conn, answer_at) else None

        if fault == "malformed":
            full = json.dumps(build_chat_completion(body, Reply(content="This body is cut short."))).encode()
            return _Response(200, full[: len(full) // 2])

        reply = self._call_responder(body)
        if not self._wait_until(conn, answer_at + float(reply.delay_s or 0)):
            return None
        if body.get("stream") and reply.status < 400 and reply.error is None and reply.raw_body is None:
            return _Response(
                200,
                b"",
                events=_stream_events(body, reply),
                event_delay_s=float(reply.chunk_delay_s or 0),
                stall_after=reply.stall_after_chunks,
            )
        return _reply_response(body, reply)

    def _call_responder(self, body: dict) -> Reply:
        return _coerce_reply(self.responder(body))

    # -- files --------------------------------------------------------------------------------

    def _files_api(self, method: str, rest: list[str], raw: bytes, content_type: str) -> _Response | None:
        if rest == [] and method == "POST":
            try:
                form = parse_multipart(raw, content_type)
            except ValueError as exc:
                return _error_response(400, error_object(f"Invalid multipart/form-data request: {exc}"))
            purpose_field = form.get("purpose")
            file_field = form.get("file")
            if purpose_field is None:
                return _error_response(
                    400,
                    error_object(
                        "Missing required parameter: 'purpose'.", param="purpose", code="missing_required_parameter"
                    ),
                )
            if file_field is None or file_field["filename"] is None:
                return _error_response(
                    400,
                    error_object(
                        "Missing required parameter: 'file'.", param="file", code="missing_required_parameter"
                    ),
                )
            purpose = purpose_field["data"].decode("utf-8", "replace")
            if purpose not in _FILE_PURPOSES:
                return _error_response(
                    400,
                    error_object(f"Invalid value for 'purpose': {purpose!r}.", param="purpose", code="invalid_value"),
                )
            obj = self._store_file(file_field["data"], file_field["filename"], purpose)
            return _json_response(200, obj)
        if rest == [] and method == "GET":
            with self._state_lock:
                data = [dict(f["obj"]) for f in self._files.values()]
            return _json_response(200, _list_page(data))
        if len(rest) in (1, 2):
            with self._state_lock:
                stored = self._files.get(rest[0])
            if len(rest) == 2 and (rest[1] != "content" or method != "GET"):
                return None
            if method not in ("GET", "DELETE"):
                return None
            if stored is None:
                return _error_response(404, error_object(f"No such File object: {rest[0]}", param="id"))
            if len(rest) == 2:
                return _Response(200, stored["data"], content_type="application/octet-stream")
            if method == "DELETE":
                with self._state_lock:
                    self._files.pop(rest[0], None)
                return _json_response(200, {"id": rest[0], "object": "file", "deleted": True})
            return _json_response(200, dict(stored["obj"]))
        return None

    def _store_file(self, data: bytes, filename: str, purpose: str) -> dict:
        obj = {
            "id": _new_id("file-"),
            "object": "file",
            "bytes": len(data),
            "created_at": int(time.time()),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
            "expires_at": None,
            "status_details": None,
        }
        with self._state_lock:
            self._files[obj["id"]] = {"obj": obj, "data": bytes(data)}
        return dict(obj)

    # -- batches ------------------------------------------------------------------------------

    def _batches_api(self, method: str, rest: list[str], raw: bytes) -> _Response | None:
        if rest == [] and method == "POST":
            return self._create_batch(raw)
        if rest == [] and method == "GET":
            with self._state_lock:
                ids = list(self._batches)
            return _json_response(200, _list_page([self._advance_batch(i) for i in reversed(ids)]))
        if len(rest) == 1 and method == "GET":
            with self._state_lock:
                known = rest[0] in self._batches
            if not known:
                return _error_response(404, error_object(f"No batch found with id '{rest[0]}'.", param="batch_id"))
            return _json_response(200, self._advance_batch(rest[0]))
        if len(rest) == 2 and rest[1] == "cancel" and method == "POST":
            with self._state_lock:
                state = self._batches.get(rest[0])
            if state is None:
                return _error_response(404, error_object(f"No batch found with id '{rest[0]}'.", param="batch_id"))
            self._advance_batch(rest[0])
            with state["lock"]:
                obj = state["obj"]
                if obj["status"] in _BATCH_TERMINAL or obj["status"] == "cancelling":
                    return _error_response(
                        400,
                        error_object(f"Cannot cancel a batch with status '{obj['status']}'.", code="invalid_state"),
                    )
                obj["status"] = "cancelling"
                obj["cancelling_at"] = int(time.time())
                return _json_response(200, dict(obj))
        return None

    def _create_batch(self, raw: bytes) -> _Response:
        body, problem = _parse_json_body(raw)
        if problem is not None:
            return problem
        for name in ("input_file_id", "endpoint", "completion_window"):
            if name not in body:
                return _error_response(
                    400,
                    error_object(
                        f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter"
                    ),
                )
        with self._state_lock:
            stored = self._files.get(body["input_file_id"])
        if stored is None:
            return _error_response(
                400,
                error_object(
                    f"Invalid 'input_file_id': '{body['input_file_id']}'. File not found.", param="input_file_id"
                ),
            )
        if stored["obj"]["purpose"] != "batch":
            return _error_response(
                400, error_object("The input file must be uploaded with purpose 'batch'.", param="input_file_id")
            )
        if body["endpoint"] != "/v1/chat/completions":
            return _error_response(
                400,
                error_object(
                    f"Invalid value for 'endpoint': {body['endpoint']!r}. "
                    "The test server only runs '/v1/chat/completions' batches.",
                    param="endpoint",
                    code="invalid_value",
                ),
            )
        if body["completion_window"] != "24h":
            return _error_response(
                400,
                error_object(
                    "Invalid value for 'completion_window': only '24h' is supported.",
                    param="completion_window",
                    code="invalid_value",
                ),
            )
        now = int(time.time())
        obj = {
            "id": _new_id("batch_"),
            "object": "batch",
            "endpoint": body["endpoint"],
            "model": None,
            "errors": None,
            "input_file_id": body["input_file_id"],
            "completion_window": "24h",
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": now,
            "in_progress_at": None,
            "expires_at": now + 24 * 3600,
            "finalizing_at": None,
            "completed_at": None,
            "failed_at": None,
            "expired_at": None,
            "cancelling_at": None,
            "cancelled_at": None,
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "usage": None,
            "metadata": body.get("metadata"),
        }
        with self._state_lock:
            self._batches[obj["id"]] = {"obj": obj, "started": time.monotonic(), "lock": threading.Lock()}
        return _json_response(200, dict(obj))

    def _advance_batch(self, batch_id: str) -> dict:
        with self._state_lock:
            state = self._batches[batch_id]
        with state["lock"]:
            obj = state["obj"]
            now = int(time.time())
            elapsed = time.monotonic() - state["started"]
            if obj["status"] == "cancelling":
                obj["status"] = "cancelled"
                obj["cancelled_at"] = now
            elif obj["status"] not in _BATCH_TERMINAL:
                if elapsed >= self.batch_delay_s:
                    self._run_batch(obj)
                elif elapsed >= self.batch_delay_s / 2 and obj["status"] == "validating":
                    obj["status"] = "in_progress"
                    obj["in_progress_at"] = now
            return json.loads(json.dumps(obj))

    def _run_batch(self, obj: dict) -> None:
        now = int(time.time())
        with self._state_lock:
            data = self._files[obj["input_file_id"]]["data"]
        requests, errors = _validate_batch_input(data, obj["endpoint"])
        if errors:
            obj.update(status="failed", failed_at=now, errors={"object": "list", "data": errors})
            return
        outputs: list[str] = []
        failures: list[str] = []
        input_tokens = output_tokens = 0
        for _line_no, item in requests:
            body = item["body"]
            request_id = _new_id("req_")
            problem = _validate_chat(body)
            if problem is None:
                try:
                    response = _reply_response(body, self._call_responder(body))
                except Exception as exc:
                    response = _error_response(500, error_object(f"test server error: {exc!r}", type="server_error"))
            else:
                response = problem
            try:
                response_body: Any = json.loads(response.body)
            except ValueError:
                response_body = response.body.decode("utf-8", "replace")
            if response.status == 200 and isinstance(response_body, dict):
                usage = response_body.get("usage") or {}
                input_tokens += int(usage.get("prompt_tokens") or 0)
                output_tokens += int(usage.get("completion_tokens") or 0)
            line = {
                "id": _new_id("batch_req_"),
                "custom_id": item["custom_id"],
                "response": {
                    "status_code": response.status,
                    "request_id": _header(response.headers, "x-request-id") or request_id,
                    "body": response_body,
                },
                "error": None,
            }
            (outputs if response.status == 200 else failures).append(json.dumps(line))
        output_id = error_id = None
        if outputs:
            output_id = self._store_file(
                ("\n".join(outputs) + "\n").encode(), f"{obj['id']}_output.jsonl", "batch_output"
            )["id"]
        if failures:
            error_id = self._store_file(
                ("\n".join(failures) + "\n").encode(), f"{obj['id']}_error.jsonl", "batch_output"
            )["id"]
        obj.update(
            status="completed",
            model=requests[0][1]["body"].get("model") if requests else None,
            in_progress_at=obj["in_progress_at"] or now,
            finalizing_at=now,
            completed_at=now,
            output_file_id=output_id,
            error_file_id=error_id,
            request_counts={"total": len(requests), "completed": len(outputs), "failed": len(failures)},
            usage={
                "input_tokens": input_tokens,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": output_tokens,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": input_tokens + output_tokens,
            },
        )


# ---------------------------------------------------------------------------------------------
# Helpers used by the server
# ---------------------------------------------------------------------------------------------


def _model_obj(model_id: str) -> dict:
    return {"id": model_id, "object": "model", "created": 1686935002, "owned_by": "openai"}


def _list_page(data: list[dict]) -> dict:
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": False,
    }


def _body_for_log(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    if content_type.lower().startswith("multipart/form-data"):
        try:
            form = parse_multipart(raw, content_type)
        except ValueError:
            return {"unparsed_multipart_bytes": len(raw)}
        summary: dict[str, Any] = {}
        for name, part in form.items():
            if part["filename"] is None and len(part["data"]) <= 256:
                summary[name] = part["data"].decode("utf-8", "replace")
            else:
                summary[name] = {"filename": part["filename"], "bytes": len(part["data"])}
        return {"multipart": summary}
    try:
        return json.loads(raw)
    except ValueError:
        return {"unparsed": raw[:2000].decode("utf-8", "replace")}


def _parse_json_body(raw: bytes) -> tuple[dict, _Response | None]:
    try:
        body = json.loads(raw or b"null")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return {}, _error_response(
            400,
            error_object(
                "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
                "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was "
                "not valid JSON.)"
            ),
        )
    return body, None


def _validate_chat(body: Any, *, streaming: bool = False) -> _Response | None:
    if not isinstance(body, dict):
        return _error_response(400, error_object("The request body must be a JSON object."))
    if not body.get("model"):
        return _error_response(
            400, error_object("you must provide a model parameter", param="model", code="missing_required_parameter")
        )
    if "messages" not in body:
        return _error_response(
            400,
            error_object(
                "Missing required parameter: 'messages'.", param="messages", code="missing_required_parameter"
            ),
        )
    if not isinstance(body["messages"], list) or not body["messages"]:
        return _error_response(
            400,
            error_object("Invalid 'messages': expected a non-empty array.", param="messages", code="invalid_value"),
        )
    if body.get("stream") and not streaming:
        return _error_response(
            400,
            error_object(
                "Streaming (stream=true) is not supported by the test server; send stream=false.",
                param="stream",
                code="unsupported_parameter",
            ),
        )
    return None


def _stream_events(body: dict, reply: Reply, piece: int = 16) -> list[bytes]:
    """The chat.completion.chunk events a streaming server sends for ``reply``: a role chunk, the
    content (or tool-call arguments) in small pieces, the finish reason, the usage when
    stream_options.include_usage asks for it, then [DONE]."""
    completion = build_chat_completion(body, reply)
    choice = completion["choices"][0]
    message = choice["message"]
    head = {
        "id": completion["id"],
        "object": "chat.completion.chunk",
        "created": completion["created"],
        "model": completion["model"],
    }

    def event(delta: dict | None, finish: str | None = None, usage: dict | None = None) -> bytes:
        data: dict[str, Any] = {**head, "choices": []}
        if delta is not None:
            data["choices"] = [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]
        if usage is not None:
            data["usage"] = usage
        return f"data: {json.dumps(data)}\n\n".encode()

    events = [event({"role": "assistant", "content": ""})]
    text = message.get("content") or ""
    events += [event({"content": text[i : i + piece]}) for i in range(0, len(text), piece)]
    for call in message.get("tool_calls") or []:
        function = call["function"]
        start = {
            "index": 0,
            "id": call["id"],
            "type": "function",
            "function": {"name": function["name"], "arguments": ""},
        }
        events.append(event({"tool_calls": [start]}))
        arguments = function["arguments"]
        events += [
            event({"tool_calls": [{"index": 0, "function": {"arguments": arguments[i : i + piece]}}]})
            for i in range(0, len(arguments), piece)
        ]
    events.append(event({}, finish=choice["finish_reason"]))
    if (body.get("stream_options") or {}).get("include_usage"):
        events.append(event(None, usage=completion["usage"]))
    events.append(b"data: [DONE]\n\n")
    return events


def _reply_response(body: dict, reply: Reply) -> _Response:
    headers = dict(reply.headers or {})
    if reply.raw_body is not None:
        content_type = _header(headers, "content-type") or "application/json"
        headers = {k: v for k, v in headers.items() if str(k).lower() != "content-type"}
        return _Response(reply.status, bytes(reply.raw_body), headers, content_type=content_type)
    if reply.error is not None or reply.status >= 400:
        status = reply.status if reply.status >= 400 else 400
        return _error_response(status, reply.error or _default_error(status), headers)
    return _json_response(reply.status, build_chat_completion(body, reply), headers)


def _validate_batch_input(data: bytes, endpoint: str) -> tuple[list[tuple[int, dict]], list[dict]]:
    requests: list[tuple[int, dict]] = []
    errors: list[dict] = []
    seen: set[str] = set()
    models: set[str] = set()

    def err(code: str, message: str, line: int | None, param: str | None = None) -> None:
        errors.append({"code": code, "message": message, "param": param, "line": line})

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        err("invalid_json_line", "The input file is not UTF-8 text.", None)
        return [], errors
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            err("invalid_json_line", "This line is not parseable as valid JSON.", line_no)
            continue
        if not isinstance(item, dict):
            err("invalid_json_line", "Each line must be a JSON object.", line_no)
            continue
        custom_id = item.get("custom_id")
        if not isinstance(custom_id, str) or not custom_id:
            err("missing_required_parameter", "Missing required parameter: 'custom_id'.", line_no, "custom_id")
            continue
        if custom_id in seen:
            err("duplicate_custom_id", f"The custom_id '{custom_id}' is not unique.", line_no, "custom_id")
            continue
        seen.add(custom_id)
        if item.get("method") != "POST":
            err("invalid_method", "Each request must use method 'POST'.", line_no, "method")
            continue
        if item.get("url") != endpoint:
            err("mismatched_endpoint", f"The url must match the batch endpoint '{endpoint}'.", line_no, "url")
            continue
        if not isinstance(item.get("body"), dict):
            err("missing_required_parameter", "Missing required parameter: 'body'.", line_no, "body")
            continue
        models.add(str(item["body"].get("model")))
        requests.append((line_no, item))
    if not requests and not errors:
        err("empty_file", "The input file contains no requests.", None)
    if len(models) > 1:
        err("mismatched_model", "All requests in a batch must use the same model.", None, "body.model")
    return requests, errors


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def load_responder(spec: str) -> Responder:
    """Import ``module:attr`` and call it (a factory) to get a responder."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"--responder must look like 'package.module:factory', got {spec!r}")
    for root in (str(REPO_ROOT), str(Path.cwd())):
        if root not in sys.path:
            sys.path.insert(0, root)
    target: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        target = getattr(target, part)
    responder = target()
    if not callable(responder):
        raise TypeError(f"{spec} returned {type(responder).__name__}, which is not a responder")
    return responder


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="OpenAI-compatible test server (loopback only).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="latency added to each chat request")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--faults", default=",".join(FAULT_KINDS), help="comma-separated eligible faults")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hang-s", type=float, default=30.0, help="length of an injected 'timeout' hang")
    parser.add_argument("--retry-after", default="0", help="retry-after seconds sent with injected 429s")
    parser.add_argument("--batch-delay-s", type=float, default=0.0)
    parser.add_argument("--log", default=None, help="append the request log to this JSONL file")
    parser.add_argument("--responder", default=None, help="module:factory returning a responder")
    parser.add_argument("--api-key", default=None, help="if set, require this bearer token")
    args = parser.parse_args(argv)

    try:
        responder = load_responder(args.responder) if args.responder else EchoResponder()
    except Exception as exc:  # report on stderr, exit 2, print no listening line
        parser.error(f"cannot load --responder {args.responder!r}: {exc!r}")
    stop = threading.Event()

    def _on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    server = OpenAIServer(
        responder,
        latency_s=args.latency_ms / 1000.0,
        fault_rate=args.fault_rate,
        faults=tuple(f.strip() for f in args.faults.split(",") if f.strip()),
        seed=args.seed,
        hang_s=args.hang_s,
        retry_after=args.retry_after,
        batch_delay_s=args.batch_delay_s,
        log_path=args.log,
        api_key=args.api_key,
        host=args.host,
        port=args.port,
    )
    with server:
        sys.stdout.write(f"listening on {server.base_url}\n")
        sys.stdout.flush()
        while not stop.wait(0.1):
            pass
    return 0


if __name__ == "__main__":
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    sys.exit(main())
