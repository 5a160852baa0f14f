"""Workers' presence on the real Redis: announced, lost, withdrawn, forgotten, and the
attempts in their hands, read as `GET /v1/workers` reads them (the clock moved by hand)."""

from __future__ import annotations

import pytest
import redis

from actionpool.worker.client import PoolClient
from actionpool.worker.clock import ms
from actionpool.worker.store.changes import Settlement
from actionpool.worker.store.keys import WORKER_FORGET_AFTER_S
from actionpool.worker.store.presence import (
    LOST_AFTER_BEATS,
    Announcement,
    announce,
    read_workers,
    withdraw,
)
from actionpool.worker.store.records import Attempt, RunStatus
from actionpool.worker.store.store import RunStore
from tests.clock import ManualClock
from tests.integration.conftest import MakeRun

pytestmark = pytest.mark.anyio

INTERVAL_S = 2.0


def announcement(name: str, started_at_ms: int = 0) -> Announcement:
    return Announcement(
        name=name,
        host="host-a",
        pid=100,
        concurrency=4,
        queues=["default"],
        version="9.9.9",
        started_at_ms=started_at_ms,
        heartbeat_interval_ms=int(INTERVAL_S * 1000),
    )


def beat(store: RunStore, name: str) -> None:
    store.run(announce(store.keys, announcement(name), ms(store.now())))


def claim(store: RunStore, run_id: str, worker: str) -> None:
    attempt = Attempt(number=1, worker=worker, started_at=store.now())
    assert store.claim(run_id, "default", attempt, f"token-{run_id}").outcome == "claimed"


async def test_an_announced_worker_is_up_with_what_it_said(
    store: RunStore, client: PoolClient
) -> None:
    # Given a worker that announced itself
    store.run(announce(store.keys, announcement("w1", ms(store.now())), ms(store.now())))
    # When the workers are read
    [worker] = await read_workers(client.store)
    # Then it is up, with what it announced and no attempt in hand
    assert (worker.name, worker.host, worker.pid, worker.concurrency) == ("w1", "host-a", 100, 4)
    assert (worker.queues, worker.version, worker.runs_in_hand) == (["default"], "9.9.9", 0)
    assert worker.status == "up"
    assert worker.started_at == worker.last_heartbeat_at == store.now()


async def test_a_silent_worker_turns_lost_and_a_new_heartbeat_brings_it_back(
    store: RunStore, client: PoolClient, clock: ManualClock
) -> None:
    # Given a worker that heartbeat, then went silent for three intervals
    beat(store, "w1")
    clock.advance(LOST_AFTER_BEATS * INTERVAL_S)
    assert [w.status for w in await read_workers(client.store)] == ["up"]
    # When a little more time passes without a heartbeat
    clock.advance(0.01)
    # Then it is lost; and up again once it heartbeats
    assert [w.status for w in await read_workers(client.store)] == ["lost"]
    beat(store, "w1")
    assert [w.status for w in await read_workers(client.store)] == ["up"]


async def test_a_withdrawn_worker_is_gone_and_leaves_no_key(
    store: RunStore, client: PoolClient, redis_url: str, key_prefix: str
) -> None:
    # Given two workers
    beat(store, "w1")
    beat(store, "w2")
    # When one shuts down cleanly
    store.run(withdraw(store.keys, "w1"))
    # Then only the other is listed, and nothing of the first is left
    assert [w.name for w in await read_workers(client.store)] == ["w2"]
    assert not redis.Redis.from_url(redis_url).exists(f"{key_prefix}worker:w1")


async def test_a_lost_worker_is_dropped_a_day_after_its_last_heartbeat(
    store: RunStore, client: PoolClient, clock: ManualClock, redis_url: str, key_prefix: str
) -> None:
    # Given a worker lost a day ago, and one heartbeating
    beat(store, "gone")
    client_redis = redis.Redis.from_url(redis_url)
    assert 0 < client_redis.pttl(f"{key_prefix}worker:gone") <= WORKER_FORGET_AFTER_S * 1000
    clock.advance(WORKER_FORGET_AFTER_S)
    # When the listing is read, and the other worker heartbeats
    listed_before = [w.name for w in await read_workers(client.store)]
    beat(store, "alive")
    # Then the lost one is not listed, and the heartbeat trimmed it from the set
    assert listed_before == []
    assert [w.name for w in await read_workers(client.store)] == ["alive"]
    assert client_redis.zrange(f"{key_prefix}workers", 0, -1) == [b"alive"]


async def test_runs_in_hand_counts_the_attempts_each_worker_runs_now(
    store: RunStore, client: PoolClient, make_run: MakeRun
) -> None:
    # Given two workers, three runs claimed (two by w1, one by w2) and one still waiting
    beat(store, "w1")
    beat(store, "w2")
    runs = [make_run("debug:log", {"message": str(n)}) for n in range(4)]
    for run_id, worker in zip(runs, ["w1", "w1", "w2"], strict=False):
        claim(store, run_id, worker)
    # When the workers are read
    hands = {w.name: w.runs_in_hand for w in await read_workers(client.store)}
    # Then each counts the attempts it runs
    assert hands == {"w1": 2, "w2": 1}


async def test_an_attempt_that_ended_leaves_its_workers_hands(
    store: RunStore, client: PoolClient, make_run: MakeRun
) -> None:
    # Given a worker running one attempt
    beat(store, "w1")
    run_id = make_run("debug:log", {"message": "x"})
    claim(store, run_id, "w1")
    assert [w.runs_in_hand for w in await read_workers(client.store)] == [1]
    # When the attempt completes
    run = store.get(run_id)
    ended = run.attempts[0].model_copy(
        update={"status": RunStatus.COMPLETED, "finished_at": store.now()}
    )
    done = Settlement(status=RunStatus.COMPLETED, attempt=ended, event_type="completion")
    assert store.settle(run, done) == "settled"
    # Then it is no longer in the worker's hands
    assert [w.runs_in_hand for w in await read_workers(client.store)] == [0]


async def test_no_workers_is_an_empty_listing(client: PoolClient) -> None:
    # Given a pool no worker has joined
    # When the workers are read
    # Then there are none
    assert await read_workers(client.store) == []
