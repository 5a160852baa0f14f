"""Identity through real processes: a uvicorn API and a celery worker verifying
Backstage-shaped plugin tokens against a real JWKS endpoint, and the audit trail in the
API's JSON log."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.pools import FaultPool, own_pool
from tests.identity import INFRA, PAYMENTS, BackstageKeys, backstage_keys, bearer

ALICE = "user:default/alice"
BOB = "user:default/bob"


@pytest.fixture(scope="module")
def keys() -> Iterator[BackstageKeys]:
    with backstage_keys() as served:
        yield served


@pytest.fixture(scope="module")
def pool(
    redis_url: str, keys: BackstageKeys, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FaultPool]:
    owners = json.dumps({ALICE: [PAYMENTS], BOB: [INFRA]})
    with own_pool(
        redis_url,
        tmp_path_factory.mktemp("identity"),
        ACTIONPOOL_BACKSTAGE_URL=keys.url,
        ACTIONPOOL_USER_OWNERS=owners,
        ACTIONPOOL_LOG_FORMAT="json",
    ) as started:
        yield started


def audit_lines(log: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("logger") == "actionpool.audit"]


def test_a_backstage_task_runs_and_only_its_team_sees_the_run(
    pool: FaultPool, keys: BackstageKeys
) -> None:
    # Given a plugin token shaped like Backstage 1.45's, for a task alice started
    alice = bearer(keys.plugin_token(user=ALICE))
    body = {
        "input": {"message": "from backstage"},
        "context": {"owner": PAYMENTS, "taskId": str(uuid.uuid4()), "stepId": "log"},
    }
    # When the scaffolder creates the run and waits for it
    response = pool.http.post(
        "/v1/actions/debug:log/runs", params={"wait": 30}, json=body, headers=alice
    )
    # Then the worker ran it, for alice, in payments
    assert response.status_code == 200, response.text
    run = response.json()
    assert (run["status"], run["context"]["userRef"]) == ("completed", ALICE)
    # And bob's task (infra) cannot see it, nor follow it, nor cancel it
    bob = bearer(keys.plugin_token(user=BOB))
    for method, path in [
        ("GET", f"/v1/runs/{run['id']}"),
        ("GET", f"/v1/runs/{run['id']}/events"),
        ("POST", f"/v1/runs/{run['id']}/cancel"),
    ]:
        denied = pool.http.request(method, path, headers=bob)
        assert denied.status_code == 404, (path, denied.text)
        assert "from backstage" not in denied.text


def test_a_denial_in_the_log_carries_the_callers_trace(
    pool: FaultPool, keys: BackstageKeys
) -> None:
    # Given a caller whose request starts a trace, with a token for another plugin id
    trace_id = uuid.uuid4().hex
    headers = {
        **bearer(keys.plugin_token(user=ALICE, aud="catalog")),
        "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01",
    }
    # When it asks for the actions
    response = pool.http.get("/v1/actions", headers=headers)
    # Then it is refused, and the API's log has the decision with the caller's trace id
    assert response.status_code == 401
    pool.api.wait_for_log(trace_id)
    [line] = [line for line in audit_lines(pool.api.log()) if line.get("trace_id") == trace_id]
    assert line["decision"] == "deny"
    assert line["reason"] == "wrong-audience"
    assert line["endpoint"] == "GET /v1/actions"


def test_no_credential_reaches_no_run_data(pool: FaultPool, tmp_path: Path) -> None:
    # Given a run
    created = pool.start_run("debug:log", {"message": "private"}, wait_s=30)
    run_id = created.json()["id"]
    # When every run endpoint is called with no credential and with a forged static token
    for headers in ({"Authorization": ""}, bearer("apt_forged")):
        for method, path in [
            ("GET", f"/v1/runs/{run_id}"),
            ("GET", f"/v1/runs/{run_id}/events"),
            ("POST", f"/v1/runs/{run_id}/cancel"),
            ("GET", "/v1/stats"),
            ("GET", "/metrics"),
            ("GET", "/openapi.json"),
        ]:
            response = pool.http.request(method, path, headers=headers)
            # Then each is a 401 with the Backstage error body, and nothing of the run
            assert response.status_code == 401, (path, response.text)
            assert response.json()["error"]["name"] == "AuthenticationError"
            assert "private" not in response.text
