"""`http:request` through real processes: the API (uvicorn) validates the step against the
pool's `ACTIONPOOL_HTTP__*` settings, a celery worker calls a real HTTP server on 127.0.0.1
(allowed for this pool only), and the run's output is Roadie's `{code, headers, body}`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.pools import FaultPool, own_pool
from tests.httpserver import Answer, ScriptedServer, echo

ALLOW_LOOPBACK = '["127.0.0.1/32"]'


@pytest.fixture(scope="module")
def http_pool(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultPool]:
    logs = tmp_path_factory.mktemp("http-pool")
    with own_pool(redis_url, logs, ACTIONPOOL_HTTP__ALLOWED_NETWORKS=ALLOW_LOOPBACK) as pool:
        yield pool


def test_a_run_calls_the_service_and_outputs_code_headers_and_body(http_pool: FaultPool) -> None:
    # Given a service on 127.0.0.1 that echoes what it receives
    with ScriptedServer(echo) as server:
        # When a run posts JSON to it through the pool
        response = http_pool.start_run(
            "http:request",
            {"method": "POST", "url": server.url("/hooks"), "json": {"name": "svc"}},
            wait_s=30,
        )
    # Then the run completes with the service's answer as its output
    assert response.status_code == 200, response.text
    run = response.json()
    assert run["status"] == "completed"
    output = run["output"]
    assert output["code"] == 200
    assert output["headers"]["content-type"] == "application/json"
    assert output["body"]["method"] == "POST" and output["body"]["path"] == "/hooks"
    assert output["body"]["body"] == '{"name":"svc"}'
    # And the service got the run's idempotency key
    assert len(output["body"]["headers"]["idempotency-key"]) == 36


def test_a_keyed_post_keeps_its_key_across_the_pools_attempts(http_pool: FaultPool) -> None:
    # Given a service unavailable for the three tries of a first attempt, then answering
    unavailable = Answer(503, {"Retry-After": "0"})
    with ScriptedServer([unavailable] * 3 + [Answer.json({"id": 1}, 201)]) as server:
        # When a run posts to it
        response = http_pool.start_run(
            "http:request", {"method": "POST", "url": server.url("/charges"), "body": "x"}
        )
        assert response.status_code == 202, response.text
        run = http_pool.wait_run(response.json()["id"], wait_s=60)
    # Then attempt 1 failed retryably, attempt 2 completed with the 201
    assert run["status"] == "completed", run
    assert [a["status"] for a in run["attempts"]] == ["failed", "completed"]
    assert run["output"]["code"] == 201 and run["output"]["body"] == {"id": 1}
    # And all four requests carried one Idempotency-Key
    assert len(server.seen) == 4
    assert len({seen.headers["idempotency-key"] for seen in server.seen}) == 1


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.2/", "http://2130706434/"],
)
def test_a_url_the_pool_may_not_call_is_a_422_before_any_run(
    http_pool: FaultPool, url: str
) -> None:
    # When a run asks for the metadata address, or loopback outside the allowed /32
    response = http_pool.start_run("http:request", {"method": "GET", "url": url})
    # Then the API refuses it, naming the field
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["name"] == "InputValidationError"
    assert [d["path"] for d in error["details"]] == ["input.url"]
    assert "this URL may not be called" in error["message"]
