"""A real HTTP server on 127.0.0.1 that answers from a script, for tests of actions that call
HTTP services (`http:request`): statuses and headers in order, a dropped connection, a body
too large, an answer held back, an echo of what was sent.

    with ScriptedServer([Answer(503, {"Retry-After": "1"}), Answer.json({"ok": True})]) as server:
        call(server.url("/things"))
        assert [seen.method for seen in server.seen] == ["GET", "GET"]
"""

from __future__ import annotations

import dataclasses
import json
import socket
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

CHUNK_BYTES = 64 * 1024


@dataclasses.dataclass(frozen=True)
class Seen:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    """Names in lower case."""
    body: bytes


@dataclasses.dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    body: bytes = b""
    streamed_bytes: int = 0
    """Send a body of this many bytes, chunked (no Content-Length), instead of `body`."""
    drop: bool = False
    """Close the connection without answering."""
    hold: threading.Event | None = None
    """Answer only once this is set (a server slower than the client's timeout)."""

    @classmethod
    def json(cls, value: Any, status: int = 200, **headers: str) -> Answer:
        return cls(
            status, {"Content-Type": "application/json", **headers}, json.dumps(value).encode()
        )

    @classmethod
    def text(cls, text: str, status: int = 200, **headers: str) -> Answer:
        return cls(status, {"Content-Type": "text/plain; charset=utf-8", **headers}, text.encode())


def echo(seen: Seen) -> Answer:
    """Answers with what it received, as JSON."""
    return Answer.json(
        {
            "method": seen.method,
            "path": seen.path,
            "headers": seen.headers,
            "body": seen.body.decode(),
        }
    )


Script = Sequence[Answer] | Callable[[Seen], Answer]


class ScriptedServer:
    """Answers the n-th request with the n-th answer (the last one again after the end), or
    with what a function of the request returns; records every request in `seen`."""

    def __init__(self, script: Script, *, tls: ssl.SSLContext | None = None) -> None:
        self.script = script
        self.tls = tls
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.scripted = self
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self._server.serve_forever(poll_interval=0.05)

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def answer_to(self, seen: Seen) -> Answer:
        with self._lock:
            self.seen.append(seen)
            if callable(self.script):
                return self.script(seen)
            return self.script[min(len(self.seen), len(self.script)) - 1]

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    scripted: ScriptedServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def handle_any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        answer = self.server.scripted.answer_to(Seen(self.command, self.path, headers, body))
        if answer.hold is not None:
            answer.hold.wait()
        if answer.drop:
            self.close_connection = True
            return
        try:
            self.write(answer)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True  # the client stopped reading

    do_GET = do_HEAD = do_OPTIONS = handle_any  # noqa: N815 - http.server's names
    do_POST = do_PUT = do_PATCH = do_DELETE = handle_any  # noqa: N815

    def write(self, answer: Answer) -> None:
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if answer.streamed_bytes:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.write_chunks(answer.streamed_bytes)
            return
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    def write_chunks(self, total: int) -> None:
        sent = 0
        while sent < total:
            size = min(CHUNK_BYTES, total - sent)
            self.wfile.write(b"%x\r\n" % size + b"x" * size + b"\r\n")
            sent += size
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
