"""Following a run's event stream on the real Redis: backlog, live events, end, Redis failure.

The follower blocks in slices of an hour, on a connection without a read timeout: a test that
waited for a slice to end would hang until pytest's timeout fails it, so "at once" needs no
clock to check.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis

from actionpool.devstack import embedded_redis
from actionpool.worker.eventstream import follow
from actionpool.worker.settings import PoolSettings
from actionpool.worker.store.aio import AsyncRunStore
from actionpool.worker.store.changes import Settlement
from actionpool.worker.store.keys import Keys
from actionpool.worker.store.records import Attempt, RunEvent, RunStatus
from actionpool.worker.store.sealing import Sealer
from actionpool.worker.store.store import RunStore, limits_of
from tests import measurements
from tests.clock import ManualClock
from tests.integration.conftest import MakeRun
from tests.secrets_keys import SECRETS_KEYS
from tests.waiting import wait_until

pytestmark = pytest.mark.anyio

BLOCK_S = 3600.0
"""The follower's XREAD BLOCK slice: longer than any test may take."""


def async_store(settings: PoolSettings, name: str, **options: object) -> AsyncRunStore:
    """An async store whose client is named (so a test sees it blocked in XREAD) and has no
    read timeout unless one is given."""
    client = redis.asyncio.Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        client_name=name,
        socket_timeout=options.get("socket_timeout"),  # type: ignore[arg-type]
    )
    keys, limits, sealer = Keys(settings.key_prefix), limits_of(settings), Sealer(SECRETS_KEYS)
    return AsyncRunStore(client, keys, limits, sealer, doubt_budget_s=1)


@pytest.fixture
async def follower(settings: PoolSettings, clock: ManualClock) -> AsyncIterator[AsyncRunStore]:
    store = async_store(settings, f"follower-{uuid.uuid4().hex[:8]}")
    yield store
    await store.close()


def name_of(store: AsyncRunStore) -> str:
    return str(store.redis.get_connection_kwargs()["client_name"])


def blocked_in_xread(store: RunStore, name: str) -> bool:
    clients = store.redis.client_list()
    return any(c["name"] == name and c["cmd"] == "xread" and "b" in c["flags"] for c in clients)


async def wait_until_blocked(store: RunStore, name: str) -> None:
    """Until the client called `name` is blocked in XREAD (so the next write must wake it)."""
    await asyncio.to_thread(wait_until, lambda: blocked_in_xread(store, name), what=f"{name}")


def claim(store: RunStore, run_id: str) -> Attempt:
    attempt = Attempt(number=1, worker="w1", started_at=store.now())
    assert store.claim(run_id, "default", attempt, "t").outcome == "claimed"
    return attempt


def complete(store: RunStore, run_id: str, attempt: Attempt) -> None:
    """Settle attempt 1 completed (with its `completion` event)."""
    done = Settlement(
        status=RunStatus.COMPLETED,
        attempt=attempt,
        fields={"output": "{}"},
        event_type="completion",
        event_body={"message": "Run completed with status: completed", "status": "completed"},
    )
    assert store.settle(store.get(run_id), done) == "settled"


async def collect(events: AsyncIterator[RunEvent]) -> list[RunEvent]:
    return [event async for event in events]


async def test_follow_yields_the_events_after_an_id_then_each_new_one_at_once(
    store: RunStore, follower: AsyncRunStore, make_run: MakeRun
) -> None:
    # Given a running run with four events (attempt 1's start, then three lines)
    run_id = make_run("debug:log", {"message": "hi"})
    claim(store, run_id)
    for n in range(3):
        store.append_event(run_id, 1, "log", {"message": f"line {n}"})
    # When it is followed after event 2
    events = follow(follower, run_id, 2, block_s=BLOCK_S)
    # Then events 3 and 4 come first, as the JSON list shows them
    backlog = [await anext(events), await anext(events)]
    assert [(e.id, e.body["message"]) for e in backlog] == [(3, "line 1"), (4, "line 2")]
    assert backlog == store.events(run_id, after=2)
    # And an event written while the follower waits wakes it (it would block an hour)
    next_event = asyncio.ensure_future(anext(events))
    await wait_until_blocked(store, name_of(follower))
    written_at = asyncio.get_running_loop().time()
    store.append_event(run_id, 1, "log", {"message": "live"})
    live = await next_event
    latency_ms = (asyncio.get_running_loop().time() - written_at) * 1000
    assert (live.id, live.type, live.body) == (5, "log", {"message": "live"})
    measurements.report("event stream", f"a written event woke its follower in {latency_ms:.1f} ms")
    await events.aclose()


async def test_follow_ends_after_the_completion_event(
    store: RunStore, follower: AsyncRunStore, make_run: MakeRun
) -> None:
    # Given a run being followed from its start
    run_id = make_run("debug:log", {"message": "hi"})
    events = follow(follower, run_id, 0, block_s=BLOCK_S)
    started = asyncio.ensure_future(anext(events))
    # When it is claimed, then completes
    attempt = claim(store, run_id)
    assert (await started).type == "log"
    rest = asyncio.ensure_future(collect(events))
    complete(store, run_id, attempt)
    # Then the completion event is the last one, and the iteration ends with it
    assert [e.type for e in await rest] == ["completion"]


async def test_resuming_after_the_terminal_event_of_an_ended_run_ends_at_once(
    store: RunStore, follower: AsyncRunStore, make_run: MakeRun
) -> None:
    # Given a run cancelled before it started: its one event is `cancelled`
    run_id = make_run("debug:log", {"message": "hi"})
    assert store.cancel(run_id, "default") == "cancelled"
    [cancelled] = store.events(run_id)
    assert cancelled.type == "cancelled"
    # When it is followed from the start, and again after its last event
    from_start = await collect(follow(follower, run_id, 0, block_s=BLOCK_S))
    after_end = await collect(follow(follower, run_id, cancelled.id, block_s=BLOCK_S))
    # Then the first gives the cancelled event, the second nothing, neither blocking
    assert from_start == [cancelled]
    assert after_end == []


async def test_following_a_run_that_no_longer_exists_ends_at_once(
    follower: AsyncRunStore,
) -> None:
    # Given no run with this id (expired after its retention, say)
    run_id = str(uuid.uuid4())
    # When it is followed, then nothing comes and the iteration ends without blocking
    assert await collect(follow(follower, run_id, 0, block_s=BLOCK_S)) == []


async def test_redis_failing_mid_stream_ends_the_iteration_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with embedded_redis(tmp_path / "redis") as url:
        # Given a run followed on a Redis of its own, the follower blocked in XREAD
        settings = PoolSettings(redis_url=url, redis_socket_timeout_s=1, secrets_keys=SECRETS_KEYS)
        store = RunStore.from_settings(settings)
        run_id = str(uuid.uuid4())
        store.redis.hset(store.keys.run(run_id), mapping={"status": "processing", "attempt": 1})
        store.append_event(run_id, 1, "log", {"message": "before"})
        doomed = async_store(settings, "doomed", socket_timeout=1)
        events = follow(doomed, run_id, 0, block_s=0.5)
        assert (await anext(events)).body == {"message": "before"}
        rest = asyncio.ensure_future(collect(events))
        await wait_until_blocked(store, "doomed")
        # When that Redis goes away
        with caplog.at_level(logging.WARNING, logger="actionpool.worker.eventstream"):
            redis.Redis.from_url(url).shutdown(nosave=True)
            # Then the iteration ends cleanly (no exception), and says why
            assert await rest == []
        store.close()
        await doomed.close()
    assert f"stopped following the events of run {run_id}: Redis failed" in caplog.text
