"""A Redis blip (kill -9 and restart, far shorter than a lease TTL) while attempts run: none
of them is stopped or repeated, and no message is run twice at once."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.faults.conftest import FaultPool, report
from tests.faults.evidence import Evidence
from tests.redis_server import RedisServer
from tests.waiting import wait_until

RUNS = 6
STEPS = 20


@pytest.mark.timeout(180)
def test_a_redis_blip_stops_and_repeats_no_running_attempt(
    fault_pool: Callable[..., FaultPool], private_redis: RedisServer, redis_url: str
) -> None:
    # Given six 20 s attempts running on two workers, their pool on a Redis with AOF (every
    # write on disk before its reply), lease TTL 3 s
    pool = fault_pool(workers=2, pool_redis_url=private_redis.url)
    evidence = Evidence(redis_url, pool.prefix)
    input = {"redisUrl": redis_url, "prefix": pool.prefix, "steps": STEPS, "stepS": 1.0}
    run_ids = [pool.start_run("fault:count", input).json()["id"] for _ in range(RUNS)]

    def all_running() -> bool:
        return all(sum(evidence.executions(run_id, STEPS)) >= 2 for run_id in run_ids)

    wait_until(all_running, what="six attempts at work")
    # When Redis is killed and started again at once
    private_redis.kill()
    private_redis.start()
    # Then every run completes in its first attempt: nothing stopped, nothing repeated
    ended = [pool.wait_run(run_id, wait_s=55) for run_id in run_ids]
    assert [(r["status"], r["attempt"]) for r in ended] == [("completed", 1)] * RUNS, ended
    assert all(evidence.executions(run_id, STEPS) == [1] * STEPS for run_id in run_ids)
    assert all(len(evidence.spans(run_id)) == 1 for run_id in run_ids)
    # And no worker terminated a task over the connection loss, and the workers still serve
    logs = "".join(w.log() for w in pool.workers)
    assert "Terminating it instead" not in logs
    after = pool.start_run("debug:log", {"message": "after the blip"}, wait_s=30)
    assert after.json()["status"] == "completed"
    redelivered = logs.count("not started: processing")
    report(
        f"Redis killed and restarted under {RUNS} running 20 s attempts (lease TTL 3 s): "
        f"{RUNS} completed in attempt 1, every step's effect run once, {redelivered} "
        f"redelivered messages dropped at claim, {pool.redispatched()} lost messages put "
        "out again, the workers served the next run"
    )
