"""Following a run's event stream on the real Redis: backlog, live events, end, Redis failure."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import redis
from redis.asyncio import Redis as AsyncRedis

from api.devstack import embedded_redis
from worker.connection import client_options
from worker.eventstream import follow
from worker.records import Attempt, RunEvent, RunStatus, Settlement, now
from worker.settings import PoolSettings
from worker.store import RunStore

pytestmark = pytest.mark.anyio

BLOCK_S = 2.0
"""The follower's XREAD BLOCK slice: a new event must arrive well before one slice ends."""


@pytest.fixture
async def follower(settings: PoolSettings) -> AsyncIterator[AsyncRedis]:
    """An async client named so a test can see it blocked in XREAD (CLIENT LIST)."""
    name = f"follower-{uuid.uuid4().hex[:8]}"
    client = AsyncRedis.from_url(settings.redis_url, client_name=name, **client_options(settings))
    yield client
    await client.aclose()


async def wait_until_blocked(store: RunStore, name: str, timeout_s: float = 5) -> None:
    """Until the client called `name` is blocked in XREAD (so the next write must wake it)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        clients = store.redis.client_list()
        if any(c["name"] == name and c["cmd"] == "xread" and "b" in c["flags"] for c in clients):
            return
        await asyncio.sleep(0.01)  # lets the follower run
    raise AssertionError(f"{name} never blocked in XREAD")


def complete(store: RunStore, run_id: str) -> None:
    """Claim the run for attempt 1 and settle it completed (with its `completion` event)."""
    attempt = Attempt(number=1, worker="w1", started_at=now())
    store.claim(run_id, attempt)
    done = Settlement(
        status=RunStatus.COMPLETED,
        attempt=attempt,
        fields={"output": "{}"},
        event_type="completion",
        event_body={"message": "Run completed with status: completed", "status": "completed"},
    )
    assert store.settle(run_id, done)


async def collect(events: AsyncIterator[RunEvent]) -> list[RunEvent]:
    return [event async for event in events]


async def test_follow_yields_the_events_after_an_id_then_each_new_one_at_once(
    store: RunStore, follower: AsyncRedis, make_run: Callable[..., str]
) -> None:
    # Given a run with three events
    run_id = make_run("debug:log", {"message": "hi"})
    for n in range(3):
        store.append_event(run_id, "log", {"message": f"line {n}"})
    # When it is followed after event 1
    events = follow(follower, store.keys, run_id, 1, block_s=BLOCK_S)
    # Then events 2 and 3 come first, as the JSON list shows them
    backlog = [await anext(events), await anext(events)]
    assert [(e.id, e.body["message"]) for e in backlog] == [(2, "line 1"), (3, "line 2")]
    assert backlog == store.events(run_id, after=1)
    # And an event written while the follower waits comes at once (not at the slice's end)
    next_event = asyncio.ensure_future(anext(events))
    await wait_until_blocked(store, follower.get_connection_kwargs()["client_name"])
    written_at = time.monotonic()
    store.append_event(run_id, "log", {"message": "live"})
    live = await asyncio.wait_for(next_event, BLOCK_S)
    latency_s = time.monotonic() - written_at
    assert (live.id, live.type, live.body) == (4, "log", {"message": "live"})
    assert latency_s < BLOCK_S / 4, latency_s
    await events.aclose()


async def test_follow_ends_after_the_completion_event(
    store: RunStore, follower: AsyncRedis, make_run: Callable[..., str]
) -> None:
    # Given a run being followed from its start
    run_id = make_run("debug:log", {"message": "hi"})
    events = follow(follower, store.keys, run_id, 0, block_s=BLOCK_S)
    started = asyncio.ensure_future(anext(events))
    # When it is claimed, then completes
    store.claim(run_id, Attempt(number=1, worker="w1", started_at=now()))
    assert (await asyncio.wait_for(started, BLOCK_S)).type == "log"
    complete_task = asyncio.ensure_future(collect(events))
    complete(store, run_id)
    rest = await asyncio.wait_for(complete_task, BLOCK_S)
    # Then the completion event is the last one, and the iteration ends with it
    assert [e.type for e in rest] == ["completion"]


async def test_resuming_after_the_terminal_event_of_an_ended_run_ends_at_once(
    store: RunStore, follower: AsyncRedis, make_run: Callable[..., str]
) -> None:
    # Given a run cancelled before it started: its one event is `cancelled`
    run_id = make_run("debug:log", {"message": "hi"})
    assert store.cancel(run_id) == "cancelled"
    [cancelled] = store.events(run_id)
    assert cancelled.type == "cancelled"
    # When it is followed from the start, and again after its last event
    began = time.monotonic()
    from_start = await collect(follow(follower, store.keys, run_id, 0, block_s=BLOCK_S))
    after_end = await collect(follow(follower, store.keys, run_id, cancelled.id, block_s=BLOCK_S))
    # Then the first gives the cancelled event, the second nothing, both without blocking
    assert from_start == [cancelled]
    assert after_end == []
    assert time.monotonic() - began < BLOCK_S / 2


async def test_following_a_run_that_no_longer_exists_ends_at_once(
    store: RunStore, follower: AsyncRedis
) -> None:
    # Given no run with this id (expired after its retention, say)
    run_id = str(uuid.uuid4())
    # When it is followed
    began = time.monotonic()
    events = await collect(follow(follower, store.keys, run_id, 0, block_s=BLOCK_S))
    # Then nothing comes and the iteration ends without blocking
    assert events == []
    assert time.monotonic() - began < BLOCK_S / 2


async def test_redis_failing_mid_stream_ends_the_iteration_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with embedded_redis(tmp_path / "redis") as url:
        # Given a run followed on a Redis of its own, the follower blocked in XREAD
        settings = PoolSettings(redis_url=url, redis_socket_timeout_s=1)
        store = RunStore.from_settings(settings)
        run_id = str(uuid.uuid4())
        store.redis.hset(store.keys.run(run_id), "status", "processing")
        store.append_event(run_id, "log", {"message": "before"})
        client = AsyncRedis.from_url(url, client_name="doomed", **client_options(settings))
        events = follow(client, store.keys, run_id, 0, block_s=0.5)
        assert (await anext(events)).body == {"message": "before"}
        rest = asyncio.ensure_future(collect(events))
        await wait_until_blocked(store, "doomed")
        # When that Redis goes away
        with caplog.at_level(logging.WARNING, logger="worker.eventstream"):
            redis.Redis.from_url(url).shutdown(nosave=True)
            # Then the iteration ends cleanly (no exception), and says why
            assert await asyncio.wait_for(rest, 30) == []
        store.redis.close()
        await client.aclose()
    assert f"stopped following the events of run {run_id}: Redis failed" in caplog.text
