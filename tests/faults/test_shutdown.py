"""SIGTERM on a worker: it stops taking runs, hands running ones back, and nothing is lost."""

from __future__ import annotations

import time
from collections.abc import Callable

import redis

from tests.faults.conftest import FaultPool, report


def wait_until_running_on(pool: FaultPool, run_id: str, worker: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        run = pool.http.get(f"/v1/runs/{run_id}").json()
        if run["status"] == "processing" and run["attempts"][-1]["worker"] == worker:
            return
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} never ran on {worker}")


def test_sigterm_hands_a_running_run_back_and_it_resumes_elsewhere(
    fault_pool: Callable[..., FaultPool], redis_url: str
) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    # Given a worker running a 5 s run of checkpointed steps, with a 1 s shutdown grace
    pool = fault_pool(workers=1, ACTIONPOOL_WORKER_SHUTDOWN_GRACE_S="1")
    input = {"redisUrl": redis_url, "prefix": pool.prefix, "steps": 10, "stepS": 0.5}
    run_id = pool.start_run("fault:count", input).json()["id"]
    wait_until_running_on(pool, run_id, pool.names["worker0"])
    time.sleep(1.2)  # a few steps done
    pool.add_worker()
    # When the first worker gets SIGTERM (a rolling restart)
    started = time.monotonic()
    exit_code = pool.workers[0].stop(timeout_s=15)
    stopped_s = time.monotonic() - started
    # Then it exits within the grace and a little, and the run completes on the other worker
    assert stopped_s < 1 + 5, stopped_s
    ended = pool.wait_run(run_id, wait_s=40)
    assert ended["status"] == "completed"
    assert ended["attempts"][-1]["worker"] == pool.names["worker1"]
    # And it resumed from its checkpoints: every effect applied once, at most one step redone
    applied = client.hgetall(f"{pool.prefix}applied")
    assert len(applied) == 10 and set(applied.values()) == {"1"}
    executed = client.hgetall(f"{pool.prefix}executed")
    redone = sum(int(n) - 1 for n in executed.values())
    assert redone <= 1
    report(
        f"SIGTERM during a 10-step run (grace 1 s): worker exited in {stopped_s:.1f} s "
        f"(code {exit_code}), run completed on the other worker in attempt {ended['attempt']}, "
        f"{10 - redone} of 10 steps not redone"
    )


def test_a_rolling_restart_loses_no_run(
    fault_pool: Callable[..., FaultPool], redis_url: str
) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    # Given two workers busy with 16 runs
    pool = fault_pool(workers=2, ACTIONPOOL_WORKER_SHUTDOWN_GRACE_S="1")
    input = {"redisUrl": redis_url, "prefix": pool.prefix, "steps": 4, "stepS": 0.5}
    run_ids = [pool.start_run("fault:count", input).json()["id"] for _ in range(16)]
    time.sleep(1)
    # When each worker in turn is replaced (start a new one, SIGTERM the old one)
    for old in list(pool.workers):
        pool.add_worker()
        old.stop(timeout_s=15)
    # Then every run completes, each side effect applied once
    ended = [pool.wait_run(run_id, wait_s=50) for run_id in run_ids]
    assert [r["status"] for r in ended] == ["completed"] * 16
    applied = client.hgetall(f"{pool.prefix}applied")
    assert len(applied) == 16 * 4 and set(applied.values()) == {"1"}
    handed_back = sum(1 for r in ended if r["attempt"] > 1)
    report(f"rolling restart of 2 workers during 16 runs: 16 completed, {handed_back} handed back")
