"""Queues on the real Redis as `GET /v1/queues` reads them: depth and oldest waiting age (the
metrics gauges' reading), and the attempts running from each queue."""

from __future__ import annotations

import pytest

from actionpool.worker.client import PoolClient
from actionpool.worker.store.backlog import QueueInfo, read_queues
from actionpool.worker.store.records import Attempt
from actionpool.worker.store.store import RunStore
from tests.clock import ManualClock
from tests.integration.conftest import MakeRun

pytestmark = pytest.mark.anyio


def take_oldest(store: RunStore, queue: str = "default") -> None:
    """What a worker does first: take the oldest message off the queue."""
    assert store.redis.rpop(store.keys.queue(queue)) is not None


async def test_an_idle_queue_is_empty(client: PoolClient) -> None:
    # Given a pool nothing was asked of
    # When its queues are read
    # Then each is there, empty
    assert await read_queues(client.store, ["default", "long"]) == [
        QueueInfo(name="default", depth=0, oldest_waiting_s=0.0, in_flight=0),
        QueueInfo(name="long", depth=0, oldest_waiting_s=0.0, in_flight=0),
    ]


async def test_waiting_runs_make_depth_and_age_and_a_claim_makes_one_in_flight(
    store: RunStore, client: PoolClient, clock: ManualClock, make_run: MakeRun
) -> None:
    # Given two runs put on the default queue 30 s and 10 s ago
    first = make_run("debug:log", {"message": "1"})
    clock.advance(20)
    make_run("debug:log", {"message": "2"})
    clock.advance(10)
    before = await read_queues(client.store, ["default"])
    # When a worker takes the oldest and starts its attempt
    take_oldest(store)
    attempt = Attempt(number=1, worker="w1", started_at=store.now())
    assert store.claim(first, "default", attempt, "token").outcome == "claimed"
    after = await read_queues(client.store, ["default"])
    # Then the queue held two, the oldest waiting 30 s; then one waiting 10 s, one in flight
    assert before == [QueueInfo(name="default", depth=2, oldest_waiting_s=30.0, in_flight=0)]
    assert after == [QueueInfo(name="default", depth=1, oldest_waiting_s=10.0, in_flight=1)]
