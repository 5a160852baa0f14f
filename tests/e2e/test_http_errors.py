"""Bad requests get a Backstage error body and a 4xx; none produces a 500."""

from __future__ import annotations

import dataclasses
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from actionpool.devstack import free_port, redis_server_binary
from tests.e2e.conftest import Pool, pool_env, report
from tests.e2e.processes import Service, start_api
from tests.identity import ADMIN_HEADERS
from tests.waiting import wait_until

ERROR_KEYS = {"error", "request", "response"}
JSON = {"content-type": "application/json"}
NAN_BODY = b'{"input": {"n": NaN}}'
HUGE_NUMBER_BODY = b'{"input": {"n": 1' + b"0" * 5000 + b"}}"
DEEP_BODY = b'{"input": ' + b"[" * 2000 + b"]" * 2000 + b"}"


def assert_backstage_error(response: httpx.Response, status: int, name: str) -> dict:  # type: ignore[type-arg]
    assert response.status_code == status, response.text
    body: dict = response.json()  # type: ignore[type-arg]
    assert set(body) >= ERROR_KEYS
    assert body["error"]["name"] == name
    assert body["error"]["message"]
    assert body["response"] == {"statusCode": status}
    assert body["request"]["method"] == response.request.method
    assert body["request"]["url"].startswith(response.request.url.path)
    return body


def test_malformed_json_is_a_400(pool: Pool) -> None:
    response = pool.http.post(
        "/v1/actions/debug:log/runs",
        content=b'{"input": {"message": ',
        headers={"content-type": "application/json"},
    )
    body = assert_backstage_error(response, 400, "MalformedRequestError")
    assert "not valid JSON" in body["error"]["message"]


def test_unknown_action_is_a_404(pool: Pool) -> None:
    response = pool.start_run("nope:missing", {})
    body = assert_backstage_error(response, 404, "UnknownActionError")
    assert "nope:missing" in body["error"]["message"]


def test_unknown_run_is_a_404(pool: Pool) -> None:
    assert_backstage_error(pool.http.get("/v1/runs/no-such-run"), 404, "RunNotFoundError")
    assert_backstage_error(pool.http.get("/v1/runs/no-such-run/events"), 404, "RunNotFoundError")


def test_body_over_the_limit_is_a_413(pool: Pool) -> None:
    big = {"message": "x" * (1024 * 1024 + 1)}
    assert_backstage_error(pool.start_run("debug:log", big), 413, "PayloadTooLargeError")


def test_input_violating_the_schema_is_a_422_naming_every_field(pool: Pool) -> None:
    response = pool.start_run("debug:fail", {"mode": "sideways", "failAttempts": -1, "extra": 1})
    body = assert_backstage_error(response, 422, "InputValidationError")
    paths = {d["path"] for d in body["error"]["details"]}
    assert paths == {"input.mode", "input.failAttempts", "input.extra"}
    for path in paths:
        assert path in body["error"]["message"]


def test_envelope_violations_are_422(pool: Pool) -> None:
    response = pool.http.post("/v1/actions/debug:log/runs", json={"input": [], "bogus": True})
    body = assert_backstage_error(response, 422, "InputValidationError")
    assert {d["path"] for d in body["error"]["details"]} == {"body.input", "body.bogus"}


def test_dry_run_of_an_action_without_dry_run_support_is_a_422(pool: Pool) -> None:
    response = pool.start_run("debug:fail", {}, dryRun=True)
    assert_backstage_error(response, 422, "DryRunNotSupportedError")


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/v1/actions/debug:log/runs", {"content": b"\xff\xfe\x00garbage"}),
        ("POST", "/v1/actions/debug:log/runs", {"content": b"[1, 2]"}),
        ("POST", "/v1/actions/debug:log/runs", {"content": b"null"}),
        ("POST", "/v1/actions/debug:log/runs", {"data": {"input": "x"}}),
        ("POST", "/v1/actions/debug:log/runs?wait=291", {"json": {"input": {"message": "x"}}}),
        ("POST", "/v1/actions/debug:log/runs?wait=abc", {"json": {"input": {"message": "x"}}}),
        (
            "POST",
            "/v1/actions/debug:log/runs",
            {"json": {"input": {"message": "x"}, "secrets": {"a": 1}}},
        ),
        ("POST", "/v1/actions/debug:log/runs", {"json": {"input": {}, "idempotencyKey": ""}}),
        (
            "POST",
            "/v1/actions/debug:log/runs",
            {"json": {"input": {}, "idempotencyKey": "k" * 300}},
        ),
        (
            "POST",
            "/v1/actions/debug:log/runs",
            {"json": {"input": {}}, "headers": {"Idempotency-Key": '""'}},
        ),
        (
            "POST",
            "/v1/actions/debug:log/runs",
            {"json": {"input": {"message": "x"}, "context": {"x": 1}}},
        ),
        (
            "POST",
            "/v1/actions/debug:log/runs",
            {"content": b'{"input": {"message": "\\ud800"}}', "headers": JSON},
        ),
        ("POST", "/v1/actions/%00/runs", {"json": {"input": {}}}),
        ("GET", "/v1/runs/x/events?after=-1", {}),
        ("GET", "/v1/runs/x/events?after=18446744073709551615", {}),
        ("GET", "/v1/runs/8d8990e1-8d13-4c43-83ab-1807fa1b0c6f:attempts", {}),
        ("GET", "/v1/runs/8d8990e1-8d13-4c43-83ab-1807fa1b0c6f:secrets/events", {}),
        (
            "POST",
            "/v1/actions/debug:log/runs",
            {"content": b'{"input": {"n": NaN}}', "headers": JSON},
        ),
        (
            "POST",
            "/v1/actions/debug:log/runs",
            {"content": b'{"input": {"n": 1' + b"0" * 5000 + b"}}", "headers": JSON},
        ),
        (
            "POST",
            "/v1/actions/debug:log/runs",
            {"content": b'{"input": ' + b"[" * 2000 + b"]" * 2000 + b"}", "headers": JSON},
        ),
        ("GET", "/v1/runs/x?wait=-5", {}),
        ("PUT", "/v1/actions", {}),
        ("GET", "/v1/nothing-here", {}),
    ],
)
def test_no_malformed_request_gets_a_500(pool: Pool, method: str, path: str, kwargs: dict) -> None:  # type: ignore[type-arg]
    response = pool.http.request(method, path, **kwargs)
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert body["response"]["statusCode"] == response.status_code
    assert set(body["error"]) >= {"name", "message"}


def test_a_deeply_nested_body_with_a_traceparent_is_a_4xx(pool: Pool) -> None:
    # Given a body that names a traceparent (so the API looks into it for one) and nests
    # about 1,000 levels deep, too deep for Python's json module (once a 500)
    nested = b'{"a": ' * 1000 + b"1" + b"}" * 1000
    body = (
        b'{"context": {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}, '
    )
    body += b'"input": ' + nested + b"}"
    # When it is posted as a run
    response = pool.http.post("/v1/actions/debug:log/runs", content=body, headers=JSON)
    # Then it is refused as a malformed request, with a Backstage error body
    assert_backstage_error(response, 400, "MalformedRequestError")


def test_a_since_before_year_one_in_utc_is_a_422(pool: Pool) -> None:
    # Given a `since` on 1 January of year 1 at +01:00: in UTC, still in year 0 (once a 500)
    since = "0001-01-01T00:00:00%2B01:00"
    # When the stats are asked for since then
    response = pool.http.get(f"/v1/stats?since={since}")
    # Then it is a validation error naming `query.since`, with a Backstage error body
    body = assert_backstage_error(response, 422, "InputValidationError")
    assert [d["path"] for d in body["error"]["details"]] == ["query.since"]


def test_openapi_is_served(pool: Pool) -> None:
    spec = pool.http.get("/openapi.json").json()
    assert {"/v1/actions", "/v1/actions/debug:log/runs", "/v1/runs/{runId}"} <= set(spec["paths"])


def test_actions_are_listed_with_schemas_and_pool_fields(pool: Pool) -> None:
    actions = {a["id"]: a for a in pool.http.get("/v1/actions").json()}
    sleep = actions["debug:sleep"]
    assert set(sleep) >= {
        "id",
        "description",
        "examples",
        "schema",
        "supportsDryRun",
        "timeoutS",
        "maxAttempts",
        "queue",
    }
    assert sleep["schema"]["input"]["properties"]["seconds"]["type"] == "number"
    assert (sleep["timeoutS"], sleep["maxAttempts"]) == (6, 1)


@pytest.fixture
def private_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A redis-server of this test's own, which the test may stop."""
    port = free_port()
    server = subprocess.Popen(
        [redis_server_binary(), "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_ping(url)
        yield url, server
    finally:
        server.kill()
        server.wait()


@dataclasses.dataclass
class LonelyApi:
    """An API (no worker) on a private Redis that the test may stop."""

    base: str
    api: Service
    redis_server: subprocess.Popen[bytes]
    redis_url: str


@pytest.fixture
def lonely_api(
    private_redis: tuple[str, subprocess.Popen[bytes]], log_dir: Path
) -> Iterator[LonelyApi]:
    url, server = private_redis
    env = pool_env(url, "aplonely:")
    api = start_api(env, log_dir)
    yield LonelyApi(f"http://127.0.0.1:{env['ACTIONPOOL_API_PORT']}", api, server, url)
    api.stop()


def test_unreachable_redis_is_a_503_with_retry_after(lonely_api: LonelyApi) -> None:
    # Given an API whose private Redis is then stopped
    base, server = lonely_api.base, lonely_api.redis_server
    assert httpx.get(f"{base}/readyz").status_code == 200
    server.terminate()
    server.wait(10)
    # When a run is posted and readiness is asked
    started = time.monotonic()
    response = httpx.post(
        f"{base}/v1/actions/debug:log/runs",
        json={"input": {"message": "x"}},
        timeout=30,
        headers=ADMIN_HEADERS,
    )
    elapsed_s = time.monotonic() - started
    ready = httpx.get(f"{base}/readyz", timeout=30)
    # Then both answer 503 with Retry-After and a Backstage body, and nothing is accepted
    body = assert_backstage_error(response, 503, "StoreUnavailableError")
    assert response.headers["Retry-After"] == "5"
    assert "unavailable" in body["error"]["message"]
    report(f"a run posted with Redis down: 503 after {elapsed_s:.2f} s")
    assert_backstage_error(ready, 503, "StoreUnavailableError")
    assert "Traceback" not in lonely_api.api.log()


def test_redis_lost_during_a_wait_still_answers_with_the_accepted_run(
    lonely_api: LonelyApi,
) -> None:
    # Given an API (no worker: the run stays open) and a caller waiting for a run
    base = lonely_api.base

    def stop_redis_once_the_run_is_recorded() -> None:
        with redis.Redis.from_url(lonely_api.redis_url) as client:
            wait_until(lambda: client.zcard("aplonely:runs:all"), what="the run recorded")
        lonely_api.redis_server.terminate()

    threading.Thread(target=stop_redis_once_the_run_is_recorded, daemon=True).start()
    # When Redis goes away during the wait
    response = httpx.post(
        f"{base}/v1/actions/debug:log/runs?wait=20",
        json={"input": {"message": "x"}},
        timeout=40,
        headers=ADMIN_HEADERS,
    )
    # Then the caller still learns that its run was accepted, and which run it is
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "open"
    assert response.headers["Location"] == f"/v1/runs/{response.json()['id']}"


def _wait_ping(url: str) -> None:
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            return
        except redis.ConnectionError:
            time.sleep(0.05)
    raise AssertionError("private redis-server did not start")
