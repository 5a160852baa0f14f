"""Redis stopped for 5 s under load, and restarted from its AOF: every accepted run completes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import pytest
import redis

from tests.faults.conftest import FaultPool, RedisServer, report

OUTAGE_S = 5.0


class Load:
    """Posts runs in a loop from a thread; keeps what each answer said."""

    def __init__(self, pool: FaultPool, input: dict[str, object]) -> None:
        self.pool = pool
        self.input = input
        self.accepted: list[str] = []
        self.statuses: list[int] = []
        self.unavailable_without_retry_after = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._post)

    def _post(self) -> None:
        with httpx.Client(base_url=self.pool.url, timeout=30) as http:
            while not self._stop.is_set():
                response = http.post("/v1/actions/fault:count/runs", json={"input": self.input})
                self.statuses.append(response.status_code)
                if response.status_code == 202:
                    self.accepted.append(response.json()["id"])
                elif response.status_code == 503 and "Retry-After" not in response.headers:
                    self.unavailable_without_retry_after += 1
                time.sleep(0.1)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(60)


@pytest.mark.timeout(240)
def test_redis_outage_under_load_loses_no_accepted_run(
    fault_pool: Callable[..., FaultPool], private_redis: RedisServer, redis_url: str
) -> None:
    effects = redis.Redis.from_url(redis_url, decode_responses=True)  # outside the outage
    # Given a pool on a Redis with AOF (appendfsync always), under a steady load of runs
    pool = fault_pool(workers=2, pool_redis_url=private_redis.url)
    input = {"redisUrl": redis_url, "prefix": pool.prefix, "steps": 2, "stepS": 0.3}
    with Load(pool, input) as load:
        time.sleep(2)
        # When Redis is stopped for 5 s, then started again from its AOF
        private_redis.stop()
        stopped_at = time.monotonic()
        time.sleep(OUTAGE_S)
        private_redis.start()
        back_after_s = time.monotonic() - stopped_at
        accepted_before_restart = len(load.accepted)
        time.sleep(3)
    # Then no request got a 500, and every refusal was a 503 with Retry-After
    assert set(load.statuses) <= {202, 503}, sorted(set(load.statuses))
    assert 503 in load.statuses, "the outage was not seen by the API"
    assert load.unavailable_without_retry_after == 0
    # And every accepted run completes, each side effect applied once
    started = time.monotonic()
    ended = [pool.wait_run(run_id, wait_s=50) for run_id in load.accepted]
    stuck = [(r["id"], r["status"], r["attempt"]) for r in ended if r["status"] != "completed"]
    assert not stuck, stuck
    drained_s = time.monotonic() - started
    assert [r["status"] for r in ended] == ["completed"] * len(load.accepted)
    applied = effects.hgetall(f"{pool.prefix}applied")
    assert len(applied) == 2 * len(load.accepted) and set(applied.values()) == {"1"}
    # And runs were accepted after Redis came back, and (above) the workers ran them too
    assert len(load.accepted) > accepted_before_restart
    report(
        f"Redis stopped {OUTAGE_S:g} s under load (back after {back_after_s:.1f} s, AOF "
        f"always): {load.statuses.count(202)} accepted, {load.statuses.count(503)} refused "
        f"with 503 + Retry-After, 0 errors 500, all {len(ended)} accepted runs completed "
        f"(drained {drained_s:.1f} s after the load stopped), side effects once each"
    )
