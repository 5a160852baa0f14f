"""`GET /v1/workers` and `GET /v1/queues` through the real app on the real Redis: the
listings' shape, who may read them (any `runs:read` credential: no team data), and a Redis
that does not answer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from actionpool.api.settings import ApiSettings
from actionpool.devstack import free_port
from actionpool.worker.clock import ms
from actionpool.worker.settings import PoolSettings
from actionpool.worker.store.presence import Announcement, announce
from actionpool.worker.store.store import RunStore
from tests.identity import ADMIN_HEADERS, bearer, static_token
from tests.integration.api.conftest import serve

pytestmark = pytest.mark.anyio

PAYMENTS = "group:default/payments"
READER = "apt_payments-reader"
CREATOR = "apt_payments-creator"
WORKER_FIELDS = {
    "name",
    "host",
    "pid",
    "concurrency",
    "runsInHand",
    "queues",
    "version",
    "startedAt",
    "lastHeartbeatAt",
    "status",
}


def api_settings(settings: PoolSettings, **changes: object) -> ApiSettings:
    tokens = [
        static_token(READER, "payments-reader", ["runs:read"], [PAYMENTS]),
        static_token(CREATOR, "payments-creator", ["runs:create"], [PAYMENTS]),
    ]
    return ApiSettings(**{**settings.model_dump(), **changes}, static_tokens=tokens)


@pytest.fixture
async def team_api(settings: PoolSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(api_settings(settings), headers=bearer(READER)) as client:
        yield client


def announce_worker(store: RunStore, name: str) -> None:
    now_ms = ms(store.now())
    worker = Announcement(
        name=name,
        host="host-a",
        pid=321,
        concurrency=2,
        queues=["default"],
        version="1.0.0",
        started_at_ms=now_ms,
        heartbeat_interval_ms=60_000,
    )
    store.run(announce(store.keys, worker, now_ms))


async def test_a_team_reader_sees_every_worker(
    team_api: httpx.AsyncClient, settings: PoolSettings
) -> None:
    # Given a worker heartbeating into the pool
    store = RunStore.from_settings(settings)
    announce_worker(store, "w1@host-a")
    store.close()
    # When a team's reader lists the workers
    response = await team_api.get("/v1/workers")
    # Then it sees the worker, up, in camelCase
    assert response.status_code == 200, response.text
    [worker] = response.json()["items"]
    assert set(worker) == WORKER_FIELDS
    assert (worker["name"], worker["pid"], worker["status"]) == ("w1@host-a", 321, "up")
    assert (worker["runsInHand"], worker["queues"]) == (0, ["default"])
    assert worker["startedAt"].endswith("Z")


async def test_a_team_reader_sees_every_queue_with_the_runs_of_any_team(
    team_api: httpx.AsyncClient,
) -> None:
    # Given a run of another team waiting on the default queue (no worker takes it)
    body = {"input": {"message": "x"}, "context": {"owner": "group:default/infra"}}
    created = await team_api.post("/v1/actions/debug:log/runs", json=body, headers=ADMIN_HEADERS)
    assert created.status_code == 202, created.text
    # When a team's reader lists the queues
    response = await team_api.get("/v1/queues")
    # Then the queue counts it: one waiting, none running
    assert response.status_code == 200, response.text
    [queue] = response.json()["items"]
    assert set(queue) == {"name", "depth", "oldestWaitingS", "inFlight"}
    assert (queue["name"], queue["depth"], queue["inFlight"]) == ("default", 1, 0)
    assert queue["oldestWaitingS"] >= 0


@pytest.mark.parametrize("path", ["/v1/workers", "/v1/queues"])
async def test_a_credential_without_runs_read_is_refused(
    team_api: httpx.AsyncClient, path: str
) -> None:
    # When a caller without runs:read, or without a credential, asks
    refused = await team_api.get(path, headers=bearer(CREATOR))
    anonymous = await team_api.get(path, headers={"Authorization": ""})
    # Then the answers are 403 and 401
    assert (refused.status_code, anonymous.status_code) == (403, 401)
    assert refused.json()["error"]["name"] == "NotAllowedError"


@pytest.mark.parametrize("path", ["/v1/workers", "/v1/queues"])
async def test_a_redis_that_does_not_answer_is_a_503(settings: PoolSettings, path: str) -> None:
    # Given an API whose Redis does not answer
    down = api_settings(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    async with serve(down, headers=bearer(READER)) as api:
        # When the listing is asked for
        response = await api.get(path)
    # Then the answer is a 503 that says so
    assert response.status_code == 503, response.text
    assert response.json()["error"]["name"] == "StoreUnavailableError"
