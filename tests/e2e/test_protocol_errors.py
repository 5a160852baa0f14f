"""Requests uvicorn itself refuses (or would wait on for ever) get the Backstage error body.

Raw sockets against a real API started through the CLI (`actionpool api`, so the protocol
class and limits of `actionpool.cli.serve`): each case is answered with the Backstage error
body and its status, the connection is closed, and the API goes on serving. The h11 protocol
(for a pool without httptools) is checked on the cases its parser refuses too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.conftest import delete_prefix
from tests.e2e.conftest import Pool, pool_env
from tests.e2e.processes import Service, start, start_api, wait_http
from tests.waiting import wait_until

TIMEOUT_S = 1
"""The API's headers and body timeouts here: what a stalled request waits for its 408."""
HANG_GUARD_S = 30
"""A bound against hanging when reading an answer, not a measured time."""
HOST = b"Host: pool\r\n"
H11_API = """
import uvicorn
from actionpool.api.protocol import BackstageH11Protocol
from actionpool.api.settings import ApiSettings

settings = ApiSettings()
uvicorn.run(
    "actionpool.api.app:app_from_env", factory=True, port=settings.api_port, log_config=None,
    http=BackstageH11Protocol, h11_max_incomplete_event_size=settings.max_header_bytes,
)
"""
"""An API as `actionpool api` serves it, but on uvicorn's h11 protocol."""


@dataclasses.dataclass
class Api:
    port: int
    service: Service

    def exchange(self, request: bytes, *, then_wait: bool = False) -> tuple[bytes, bool]:
        """Send raw bytes (the connection kept open for writing when `then_wait`); what came
        back until the server closed, and whether it closed."""
        with socket.create_connection(("127.0.0.1", self.port)) as connection:
            connection.settimeout(HANG_GUARD_S)
            connection.sendall(request)
            if not then_wait:
                connection.shutdown(socket.SHUT_WR)
            answer = b""
            try:
                while chunk := connection.recv(65536):
                    answer += chunk
            except TimeoutError:
                return answer, False
            return answer, True

    def exchange_and_hold(self, request: bytes) -> bytes:
        """Send raw bytes and read the answer; then keep the connection (sending on it) until
        the server has closed it for good."""
        with socket.create_connection(("127.0.0.1", self.port)) as connection:
            connection.settimeout(HANG_GUARD_S)
            connection.sendall(request)
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
            wait_until(lambda: not still_open(connection), what="the server to close")
            return answer


def still_open(connection: socket.socket) -> bool:
    try:
        connection.send(b"x")  # dropped while the server lingers; reset once it has closed
    except OSError:
        return False
    return True


@contextlib.contextmanager
def own_api(redis_url: str, log_dir: Path, *, h11: bool = False) -> Iterator[Api]:
    """An API of its own, with 1 s header and body timeouts: through the CLI (httptools),
    or as the CLI would serve it but on h11."""
    prefix = f"approto:{uuid.uuid4().hex[:8]}:"
    env = pool_env(
        redis_url,
        prefix,
        ACTIONPOOL_HEADERS_TIMEOUT_S=str(TIMEOUT_S),
        ACTIONPOOL_BODY_TIMEOUT_S=str(TIMEOUT_S),
    )
    if h11:
        service = start("h11-api", [sys.executable, "-c", H11_API], env, log_dir)
        wait_http(f"http://127.0.0.1:{env['ACTIONPOOL_API_PORT']}/healthz", service)
    else:
        service = start_api(env, log_dir)
    try:
        yield Api(int(env["ACTIONPOOL_API_PORT"]), service)
    finally:
        service.stop()
        delete_prefix(redis.Redis.from_url(redis_url), prefix)


@pytest.fixture(scope="module")
def api(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with own_api(redis_url, tmp_path_factory.mktemp("protocol-api")) as started:
        yield started


@pytest.fixture(scope="module")
def h11_api(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with own_api(redis_url, tmp_path_factory.mktemp("protocol-h11-api"), h11=True) as started:
        yield started


@dataclasses.dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: dict  # type: ignore[type-arg]


def parse(raw: bytes) -> Answer:
    head, _, content = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    assert status_line.startswith("HTTP/1.1 "), raw[:200]
    assert int(headers["content-length"]) == len(content), raw[:400]
    return Answer(int(status_line.split()[1]), headers, json.loads(content))


def assert_backstage_refusal(raw: bytes, closed: bool, status: int, name: str) -> Answer:
    answer = parse(raw)
    assert answer.status == status, raw[:400]
    status_line = raw.split(b"\r\n", 1)[0].decode()
    assert status_line.startswith(f"HTTP/1.1 {status} {name}: "), status_line  # its error
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["connection"] == "close"
    assert answer.body["error"]["name"] == name
    assert answer.body["error"]["message"]
    assert answer.body["response"] == {"statusCode": status}
    assert set(answer.body["request"]) == {"method", "url"}
    assert closed, "the server kept the connection open"
    return answer


def assert_still_serving(api: Api) -> None:
    assert (
        httpx.get(f"http://127.0.0.1:{api.port}/healthz", timeout=HANG_GUARD_S).status_code == 200
    )
    assert "Traceback" not in api.service.log()


POST = b"POST /v1/actions/debug:log/runs HTTP/1.1\r\n" + HOST
GET = b"GET /healthz HTTP/1.1\r\n" + HOST
CASES = {
    "malformed request line": (b"GARBAGE\r\n\r\n", 400, "MalformedRequestError"),
    "invalid HTTP version": (
        b"GET /healthz HTTP/9.9\r\n" + HOST + b"\r\n",
        400,
        "MalformedRequestError",
    ),
    "not HTTP at all": (
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" * 8,
        400,
        "MalformedRequestError",
    ),
    "malformed Content-Length": (
        POST + b"Content-Length: abc\r\n\r\n",
        400,
        "MalformedRequestError",
    ),
    "two Content-Lengths": (
        POST + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        400,
        "MalformedRequestError",
    ),
    "Content-Length and chunked together": (
        POST + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
        "MalformedRequestError",
    ),
    "bad chunked encoding": (
        POST + b"Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n",
        400,
        "MalformedRequestError",
    ),
    "NUL in a header": (GET + b"X-Note: a\x00b\r\n\r\n", 400, "MalformedRequestError"),
    "NUL in a header name": (GET + b"X-\x00: b\r\n\r\n", 400, "MalformedRequestError"),
    "non-ASCII target": (
        b"GET /v1/\xff\xfe HTTP/1.1\r\n" + HOST + b"\r\n",
        400,
        "MalformedRequestError",
    ),
    "100 KB URL": (
        b"GET /v1/runs/" + b"a" * 100_000 + b" HTTP/1.1\r\n" + HOST + b"\r\n",
        414,
        "UriTooLongError",
    ),
    "one 100 KB header": (
        GET + b"X-Big: " + b"a" * 100_000 + b"\r\n\r\n",
        431,
        "RequestHeaderFieldsTooLargeError",
    ),
    "20,000 headers": (
        GET + b"".join(b"X-%d: a\r\n" % i for i in range(20_000)) + b"\r\n",
        431,
        "RequestHeaderFieldsTooLargeError",
    ),
}


H11_CASES = [
    "malformed request line",
    "malformed Content-Length",
    "two Content-Lengths",
    "NUL in a header",
    "NUL in a header name",
    "non-ASCII target",
]
"""Of `CASES`, those h11 refuses too (it takes some others: `HTTP/9.9`, `Content-Length`
with `chunked`; and an unfinished head over its limit is a 400 there, not a 414 or 431)."""


@pytest.mark.parametrize(("request_bytes", "status", "name"), CASES.values(), ids=list(CASES))
def test_what_the_http_parser_refuses_gets_the_backstage_error_body(
    api: Api, request_bytes: bytes, status: int, name: str
) -> None:
    # When a request uvicorn's parser (or the pool's head limits) refuses is sent
    raw, closed = api.exchange(request_bytes)
    # Then it is answered with the Backstage error body, the connection is closed
    answer = assert_backstage_refusal(raw, closed, status, name)
    assert len(answer.body["request"]["url"]) <= 257  # a 100 KB target is not echoed
    # And the API goes on serving
    assert_still_serving(api)


def test_headers_that_never_finish_are_a_408(api: Api) -> None:
    # When a request line and part of the headers come, and then nothing
    raw, closed = api.exchange(b"GET /v1/actions HTTP/1.1\r\n" + HOST + b"X-Half: ", then_wait=True)
    # Then after the headers timeout it is a 408 with the Backstage body, and closed
    answer = assert_backstage_refusal(raw, closed, 408, "RequestTimeoutError")
    assert answer.body["request"] == {"method": "GET", "url": "/v1/actions"}
    assert f"within {TIMEOUT_S} s" in answer.body["error"]["message"]
    assert_still_serving(api)


def test_a_body_shorter_than_its_content_length_is_a_408(api: Api) -> None:
    # When a run is posted with a Content-Length of 100 and 10 bytes of body, then nothing
    request = POST + b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"input":'
    raw, closed = api.exchange(request, then_wait=True)
    # Then after the body timeout it is a 408 with the Backstage body, and closed
    answer = assert_backstage_refusal(raw, closed, 408, "RequestTimeoutError")
    assert answer.body["request"] == {"method": "POST", "url": "/v1/actions/debug:log/runs"}
    assert_still_serving(api)


def test_a_request_refused_in_its_body_ends_for_the_app_too(api: Api) -> None:
    # Given a request refused for a bad chunk in its body, when the app already reads it
    request = POST + b"Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
    # When the client, once answered, holds the connection until the server closes it (past
    # the body timeout, which would have the app answer a 408 of its own)
    raw = api.exchange_and_hold(request + b"2\r\n{}\r\nzz\r\n")
    # Then the one answer is the 400, and the app (which saw the client leave) wrote nothing
    assert_backstage_refusal(raw, True, 400, "MalformedRequestError")
    assert raw.count(b"HTTP/1.1 ") == 1
    assert_still_serving(api)


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(api: Api) -> None:
    # When a client connects and sends nothing
    raw, closed = api.exchange(b"", then_wait=True)
    # Then the server closes it after the headers timeout, answering nothing
    assert (raw, closed) == (b"", True)
    assert_still_serving(api)


def test_a_websocket_upgrade_is_an_ordinary_request(api: Api) -> None:
    # When a client asks to upgrade to a WebSocket (the pool serves none)
    upgrade = b"Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
    upgrade += b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nConnection: close\r\n\r\n"
    raw, _ = api.exchange(b"GET /healthz HTTP/1.1\r\n" + HOST + upgrade)
    # Then it is answered as the plain request it also is
    assert parse(raw).status == 200


def test_a_huge_unknown_action_id_is_a_404_that_quotes_only_its_start(pool: Pool) -> None:
    # When a run of an action whose id is 10,000 characters long is asked for
    action_id = "x:" + "y" * 10_000
    response = pool.start_run(action_id, {})
    # Then it is a 404 whose message quotes a short start of the id
    assert response.status_code == 404, response.text[:300]
    error = response.json()["error"]
    assert error["name"] == "UnknownActionError"
    assert len(error["message"]) < 300


@pytest.mark.parametrize("case", H11_CASES)
def test_on_h11_what_its_parser_refuses_gets_the_backstage_error_body(
    h11_api: Api, case: str
) -> None:
    # When a request h11 refuses is sent to an API served on h11
    request_bytes, status, name = CASES[case]
    raw, closed = h11_api.exchange(request_bytes)
    # Then it is answered with the Backstage error body, the connection is closed
    assert_backstage_refusal(raw, closed, status, name)
    # And the API goes on serving
    assert_still_serving(h11_api)


def test_on_h11_headers_that_never_finish_are_a_408(h11_api: Api) -> None:
    raw, closed = h11_api.exchange(b"GET /healthz HTTP/1.1\r\n" + HOST + b"X-H", then_wait=True)
    assert_backstage_refusal(raw, closed, 408, "RequestTimeoutError")
    assert_still_serving(h11_api)
