"""Every endpoint × every kind of caller, through the real app on the real Redis, with
Backstage-shaped plugin tokens signed by key pairs made here and served from a real JWKS
endpoint (`tests.identity.BackstageKeys`)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from actionpool.api.settings import ApiSettings
from actionpool.worker.settings import PoolSettings
from tests.identity import (
    ADMIN_HEADERS,
    ALL_SCOPES,
    INFRA,
    PAYMENTS,
    BackstageKeys,
    KeyPair,
    backstage_keys,
    bearer,
    static_token,
)
from tests.integration.api.conftest import serve

pytestmark = pytest.mark.anyio

ALICE = "user:default/alice"  # in payments (configuration)
BOB = "user:default/bob"  # in infra
SECRET_INPUT = "payments-private-input-7f3a"


@dataclasses.dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # `{run}` stands for a payments run's id
    scope: str | None  # None: any valid credential
    ok: int
    per_run: bool = False
    body: dict[str, object] | None = None


ENDPOINTS = [
    Endpoint("list-actions", "GET", "/v1/actions", None, 200),
    Endpoint(
        "create-run",
        "POST",
        "/v1/actions/debug:log/runs",
        "runs:create",
        202,
        body={"input": {"message": "hello"}, "context": {"owner": PAYMENTS}},
    ),
    Endpoint("list-runs", "GET", "/v1/runs?status=open", "runs:read", 200),
    Endpoint("get-run", "GET", "/v1/runs/{run}", "runs:read", 200, per_run=True),
    Endpoint("wait-run", "GET", "/v1/runs/{run}?wait=0.1", "runs:read", 200, per_run=True),
    Endpoint("cancel-run", "POST", "/v1/runs/{run}/cancel", "runs:operate", 200, per_run=True),
    # an open run: every caller that may operate it hears why it is not retried
    Endpoint("retry-run", "POST", "/v1/runs/{run}/retry", "runs:operate", 409, per_run=True),
    Endpoint("run-events", "GET", "/v1/runs/{run}/events", "runs:read", 200, per_run=True),
    Endpoint("list-workers", "GET", "/v1/workers", "runs:read", 200),
    Endpoint("list-queues", "GET", "/v1/queues", "runs:read", 200),
    Endpoint("stats", "GET", "/v1/stats?groupBy=owner", "runs:read", 200),
    Endpoint("metrics", "GET", "/metrics", "admin", 200),
    Endpoint("openapi", "GET", "/openapi.json", None, 200),
    Endpoint("distributed-actions", "GET", "/.backstage/actions/v1/actions", None, 200),
    Endpoint(
        "invoke",
        "POST",
        "/.backstage/actions/v1/actions/actionpool%3Adebug.log/invoke",
        "runs:create",
        504,  # allowed: the run is made, and no worker here ends it within INVOKE_WAIT_S
        body={"message": "hello", "actionpool": {"owner": PAYMENTS}},
    ),
]
INVOKE_WAIT_S = 0.1

CASES = [
    "own-team",
    "other-team",
    "admin",
    "no-token",
    "expired",
    "wrong-audience",
    "forged-signature",
    "wrong-scope",
]


def expected_status(endpoint: Endpoint, case: str) -> int:
    if case in ("no-token", "expired", "wrong-audience", "forged-signature"):
        return 401
    if case == "admin":
        return endpoint.ok
    if case == "wrong-scope":
        return 403 if endpoint.scope else endpoint.ok
    if endpoint.scope == "admin":
        return 403
    if case == "other-team" and endpoint.per_run:
        return 404  # another team's run does not exist for it
    if case == "other-team" and endpoint.scope == "runs:create":
        return 403  # it may not create runs for payments
    return endpoint.ok


def lacking(scope: str | None) -> list[str]:
    """Scopes of a payments token that lacks `scope` (for `admin` and none: every run scope)."""
    return [s for s in ALL_SCOPES if s != scope] or ["runs:read"]


def credential(keys: BackstageKeys, case: str, endpoint: Endpoint) -> dict[str, str]:
    tokens: dict[str, Callable[[], str]] = {
        "own-team": lambda: keys.plugin_token(user=ALICE),
        "other-team": lambda: keys.plugin_token(user=BOB),
        "expired": lambda: keys.plugin_token(user=ALICE, exp_s=-600),
        "wrong-audience": lambda: keys.plugin_token(user=ALICE, aud="catalog"),
        "forged-signature": lambda: keys.plugin_token(user=ALICE, key=KeyPair(keys.plugin.kid)),
        "wrong-scope": lambda: f"apt_payments-{'-'.join(lacking(endpoint.scope))}",
    }
    if case == "admin":
        return ADMIN_HEADERS
    if case == "no-token":
        return {}
    return bearer(tokens[case]())


@pytest.fixture(scope="module")
def keys() -> Iterator[BackstageKeys]:
    with backstage_keys() as served:
        yield served


def identity_settings(settings: PoolSettings, keys: BackstageKeys, **extra: object) -> ApiSettings:
    narrow = [
        static_token(
            f"apt_payments-{'-'.join(lacking(scope))}", "payments-ci", lacking(scope), [PAYMENTS]
        )
        for scope in (*ALL_SCOPES, None)
    ]
    return ApiSettings(
        **settings.model_dump(),
        backstage_url=keys.url,
        static_tokens=narrow,
        user_owners={ALICE: [PAYMENTS], BOB: [INFRA]},
        **extra,
    )


@pytest.fixture
async def api(settings: PoolSettings, keys: BackstageKeys) -> AsyncIterator[httpx.AsyncClient]:
    api_settings = identity_settings(settings, keys, invoke_wait_s=INVOKE_WAIT_S)
    async with serve(api_settings, headers=None) as client:
        yield client


async def payments_run(api: httpx.AsyncClient) -> str:
    body = {"input": {"message": SECRET_INPUT}, "context": {"owner": PAYMENTS}}
    response = await api.post("/v1/actions/debug:log/runs", json=body, headers=ADMIN_HEADERS)
    assert response.status_code == 202, response.text
    run_id: str = response.json()["id"]
    return run_id


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
async def test_endpoint_answers_each_caller(
    api: httpx.AsyncClient, keys: BackstageKeys, endpoint: Endpoint, case: str
) -> None:
    # Given a run of the payments team (its input is payments' own), and a caller
    run_id = await payments_run(api)
    headers = credential(keys, case, endpoint)
    # When the caller calls the endpoint
    response = await api.request(
        endpoint.method,
        endpoint.path.replace("{run}", run_id),
        headers=headers,
        json=endpoint.body,
    )
    # Then it answers as the caller's credential allows
    want = expected_status(endpoint, case)
    assert response.status_code == want, response.text
    if want >= 400:  # the Backstage error body, and nothing of the run
        assert set(response.json()["error"]) >= {"name", "message"}
        assert SECRET_INPUT not in response.text
    if want == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
    if case == "other-team" and endpoint.name in ("stats", "list-runs"):
        assert PAYMENTS not in response.text  # figures and runs of its own teams only
    if case in ("own-team", "admin") and endpoint.name == "list-runs":
        assert run_id in [run["id"] for run in response.json()["items"]]


async def test_healthz_and_readyz_need_no_credential(api: httpx.AsyncClient) -> None:
    # Given no credential; When the health checks are asked; Then they answer
    assert (await api.get("/healthz")).status_code == 200
    assert (await api.get("/readyz")).status_code == 200


def audit_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [
        {
            k: getattr(r, k, None)
            for k in (
                "decision",
                "reason",
                "scope",
                "endpoint",
                "run_id",
                "owner",
                "subject",
                "user",
                "trace_id",
            )
        }
        for r in caplog.records
        if r.name == "actionpool.audit"
    ]


async def test_each_decision_is_a_log_line_and_a_metric(
    api: httpx.AsyncClient, keys: BackstageKeys, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="actionpool.audit")
    # Given a payments run
    run_id = await payments_run(api)
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    traceparent = {"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}
    # When bob (infra) tries to read it, and alice reads it, and an expired token tries
    bob = bearer(keys.plugin_token(user=BOB))
    alice = bearer(keys.plugin_token(user=ALICE))
    expired = bearer(keys.plugin_token(user=ALICE, exp_s=-600))
    assert (await api.get(f"/v1/runs/{run_id}", headers={**bob, **traceparent})).status_code == 404
    assert (await api.get(f"/v1/runs/{run_id}", headers=alice)).status_code == 200
    assert (await api.get(f"/v1/runs/{run_id}", headers=expired)).status_code == 401
    # Then each decision is a structured line: who, for which user, what, which run, why
    lines = audit_lines(caplog)
    denied = [line for line in lines if line["user"] == BOB]
    assert denied == [
        {
            "decision": "deny",
            "reason": "other-owner",
            "scope": "runs:read",
            "endpoint": "GET /v1/runs/{runId}",
            "run_id": run_id,
            "owner": PAYMENTS,
            "subject": "plugin:scaffolder",
            "user": BOB,
            "trace_id": trace_id,
        }
    ]
    allowed = [line for line in lines if line["user"] == ALICE and line["run_id"] == run_id]
    assert [(a["decision"], a["reason"]) for a in allowed] == [("allow", "granted")]
    assert any(line["reason"] == "expired" and line["decision"] == "deny" for line in lines)
    # And each is counted in the pool's metrics
    metrics = (await api.get("/metrics", headers=ADMIN_HEADERS)).text
    assert counted(metrics, "deny", "other-owner", "runs:read") == 1
    assert counted(metrics, "deny", "expired", "runs:read") == 1


def counted(metrics: str, decision: str, reason: str, scope: str) -> float:
    series = (
        f'actionpool_authz_decisions_total{{decision="{decision}",reason="{reason}",'
        f'scope="{scope}"}} '
    )
    values = [
        float(line.removeprefix(series)) for line in metrics.splitlines() if line.startswith(series)
    ]
    return sum(values)
