"""A message delivered twice — by the broker's visibility timeout or duplicated — runs once."""

from __future__ import annotations

import time
from collections.abc import Callable

import redis

from actionpool.worker.broker.app import create_celery_app
from actionpool.worker.broker.envelope import Envelopes
from actionpool.worker.settings import PoolSettings
from tests.faults.conftest import FaultPool, report
from tests.faults.evidence import Evidence
from tests.waiting import wait_until


def count_input(pool: FaultPool, redis_url: str, steps: int, step_s: float) -> dict[str, object]:
    return {"redisUrl": redis_url, "prefix": pool.prefix, "steps": steps, "stepS": step_s}


def overdue_messages(pool: FaultPool, redis_url: str) -> int:
    """Messages delivered and not acknowledged for longer than the 5 s visibility timeout."""
    index = f"{pool.prefix}unacked_index"
    return int(redis.Redis.from_url(redis_url).zcount(index, 0, time.time() - 5))


def restore_overdue_messages(pool: FaultPool, redis_url: str) -> None:
    """Kombu's own redelivery of messages unacknowledged past the visibility timeout."""
    settings = PoolSettings(redis_url=redis_url, key_prefix=pool.prefix, visibility_timeout_s=5)
    with create_celery_app(settings).connection_for_write() as connection:
        connection.default_channel.qos.restore_visible(num=100)


def dropped_deliveries(pool: FaultPool) -> int:
    return sum(w.log().count("not started: processing") for w in pool.workers)


def test_a_run_longer_than_the_visibility_timeout_runs_once(
    fault_pool: Callable[..., FaultPool], redis_url: str
) -> None:
    # Given a broker that hands an unacknowledged message to another worker after 5 s
    pool = fault_pool(workers=2, ACTIONPOOL_VISIBILITY_TIMEOUT_S="5")
    evidence = Evidence(redis_url, pool.prefix)
    # When a run takes 15 s, and the broker's restore of overdue messages runs once its
    # message is overdue (kombu runs it from every consumer about every 100 s)
    started = time.monotonic()
    run = pool.start_run("fault:count", count_input(pool, redis_url, 15, 1.0)).json()
    wait_until(lambda: overdue_messages(pool, redis_url) == 1, what="an overdue message")
    restore_overdue_messages(pool, redis_url)
    ended = pool.wait_run(run["id"], wait_s=50)
    # Then the message was handed out again and dropped, and the run completed in one
    # attempt, every step's effect run once
    assert ended["status"] == "completed"
    assert ended["attempt"] == 1
    assert evidence.executions(run["id"], 15) == [1] * 15
    redelivered = dropped_deliveries(pool)
    assert redelivered == 1, "the broker did not hand the message out again"
    report(
        f"visibility timeout 5 s, 15 s action: completed in 1 attempt after "
        f"{time.monotonic() - started:.1f} s, {redelivered} redeliveries dropped, "
        "15 steps executed once each"
    )


def test_a_duplicated_message_runs_once(
    fault_pool: Callable[..., FaultPool], redis_url: str
) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    # Given two idle workers and a run whose attempt-1 message is published a second time
    pool = fault_pool(workers=2)
    run = pool.start_run("fault:count", count_input(pool, redis_url, 3, 0.5)).json()
    settings = PoolSettings(redis_url=redis_url, key_prefix=pool.prefix)
    copy = Envelopes(create_celery_app(settings)).attempt(
        run["id"], 1, "default", soft_limit_s=100, hard_limit_s=120, countdown_s=0,
        pushed_ms=0, headers={},
    )  # fmt: skip
    client.lpush(copy.key, copy.payload)
    # When both copies are delivered, one to each worker
    ended = pool.wait_run(run["id"], wait_s=30)

    def copies_dropped() -> int:
        return dropped_deliveries(pool) + sum(
            w.log().count("not started: completed") for w in pool.workers
        )

    wait_until(lambda: copies_dropped() == 1, what="the second copy, dropped")
    # Then the run executed once
    assert (ended["status"], ended["attempt"]) == ("completed", 1)
    assert Evidence(redis_url, pool.prefix).executions(run["id"], 3) == [1] * 3
    report("duplicated attempt message on 2 workers: 1 execution, 1 copy dropped")
