"""Smart HTTP on 127.0.0.1: `git http-backend` run as a CGI by a small threaded server that
wants HTTP basic auth with a token, and can hold a service's requests at a gate.

    with GitHttpServer(root, token="t0ken") as server:
        url = server.url("repo.git")            # http://127.0.0.1:<port>/repo.git
        gate = server.hold("receive-pack", after=True)
        ...                                     # gate.held.wait(): a push is being held
        gate.release()
"""

from __future__ import annotations

import base64
import dataclasses
import http.server
import subprocess
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

HTTP_BACKEND = "/usr/lib/git-core/git-http-backend"


@dataclasses.dataclass
class Gate:
    """Holds the POSTs of one service (`upload-pack`: fetches, `receive-pack`: pushes) before
    http-backend runs (or, with `after`, once it ran and before the answer goes out)."""

    service: str
    after: bool
    drop: bool = False
    """Once released, answer 503 without running http-backend (the request never landed)."""
    held: threading.Event = dataclasses.field(default_factory=threading.Event)
    opened: threading.Event = dataclasses.field(default_factory=threading.Event)

    def release(self) -> None:
        self.opened.set()


@dataclasses.dataclass(frozen=True)
class Request:
    method: str
    path: str
    status: int
    user: str | None


class GitHttpServer:
    def __init__(self, project_root: Path, token: str, username: str = "x-access-token") -> None:
        self.project_root = project_root
        self.token = token
        self.username = username
        self.requests: list[Request] = []
        self.gates: list[Gate] = []
        self.lock = threading.Lock()
        handler = type("BoundHandler", (Handler,), {"git_server": self})
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> GitHttpServer:
        self.thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for gate in self.gates:
            gate.release()
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, repo: str, port: int | None = None) -> str:
        return f"http://127.0.0.1:{port or self.port}/{repo}"

    def hold(self, service: str, *, after: bool = False, drop: bool = False) -> Gate:
        """Hold the POSTs to `git-<service>` until the gate is released (later ones pass)."""
        gate = Gate(service, after, drop=drop)
        self.gates.append(gate)
        return gate

    def pushes(self) -> list[Request]:
        """The answered push requests (POST git-receive-pack)."""
        with self.lock:
            return [r for r in self.requests if r.path.endswith("/git-receive-pack")]

    def authorized(self, header: str | None) -> str | None:
        """The user of a valid `Authorization: Basic` header, else None."""
        if not header or not header.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user if (user, password) == (self.username, self.token) else None

    def gate_for(self, path: str, after: bool) -> Gate | None:
        for gate in self.gates:
            if path.endswith(f"/git-{gate.service}") and gate.after == after:
                return gate
        return None

    def record(self, request: Request) -> None:
        with self.lock:
            self.requests.append(request)


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves one request through http-backend; `git_server` is set on a bound subclass."""

    git_server: GitHttpServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.serve()

    def do_POST(self) -> None:
        self.serve()

    def serve(self) -> None:
        path, _, query = self.path.partition("?")
        user = self.git_server.authorized(self.headers.get("Authorization"))
        if user is None:
            self.answer(401, [("WWW-Authenticate", 'Basic realm="git"')], b"")
            self.git_server.record(Request(self.command, path, 401, None))
            return
        body = self.body()
        gate = self.git_server.gate_for(path, after=False)
        if self.wait_at(gate) and gate is not None and gate.drop:
            self.answer(503, [], b"dropped by the test")
            return
        status, headers, payload = self.backend(path, query, user, body)
        self.wait_at(self.git_server.gate_for(path, after=True))
        self.git_server.record(Request(self.command, path, status, user))
        self.answer(status, headers, payload)

    def wait_at(self, gate: Gate | None) -> bool:
        """Wait while the gate is closed; True if this request was held."""
        if gate is None or self.command != "POST" or gate.opened.is_set():
            return False
        gate.held.set()
        gate.opened.wait()
        return True

    def body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def backend(
        self, path: str, query: str, user: str, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        env = {
            "GIT_PROJECT_ROOT": str(self.git_server.project_root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "REMOTE_USER": user,
            "REMOTE_ADDR": "127.0.0.1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
        }
        done = subprocess.run([HTTP_BACKEND], input=body, env=env, capture_output=True)
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        return status, headers, payload

    def answer(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
