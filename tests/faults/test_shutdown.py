"""SIGTERM on a worker: it stops taking runs, hands running ones back, and nothing is lost."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.faults.conftest import FaultPool, report
from tests.faults.evidence import Evidence
from tests.waiting import wait_until

STEPS = 10


def running_on(pool: FaultPool, run_id: str, worker: str) -> bool:
    run = pool.http.get(f"/v1/runs/{run_id}").json()
    return bool(run["status"] == "processing" and run["attempts"][-1]["worker"] == worker)


def test_sigterm_hands_a_running_run_back_and_it_resumes_elsewhere(
    fault_pool: Callable[..., FaultPool], redis_url: str
) -> None:
    # Given a worker running a 5 s run of checkpointed steps, with a 1 s shutdown grace
    pool = fault_pool(workers=1, ACTIONPOOL_WORKER_SHUTDOWN_GRACE_S="1")
    evidence = Evidence(redis_url, pool.prefix)
    input = {"redisUrl": redis_url, "prefix": pool.prefix, "steps": STEPS, "stepS": 0.5}
    run_id = pool.start_run("fault:count", input).json()["id"]
    wait_until(lambda: running_on(pool, run_id, pool.names["worker0"]), what="the run")
    wait_until(lambda: sum(evidence.executions(run_id, STEPS)) >= 2, what="two steps done")
    pool.add_worker()
    # When the first worker gets SIGTERM (a rolling restart)
    started = time.monotonic()
    exit_code = pool.workers[0].stop(timeout_s=15)
    stopped_s = time.monotonic() - started
    # Then it exits cleanly, and the run completes on the other worker
    assert exit_code == 0
    ended = pool.wait_run(run_id, wait_s=40)
    assert ended["status"] == "completed"
    assert ended["attempts"][-1]["worker"] == pool.names["worker1"]
    # And it resumed from its checkpoints: every step's effect ran, at most the step in
    # flight ran again, and the two attempts never worked at once
    assert min(evidence.executions(run_id, STEPS)) >= 1
    redone = evidence.redone(run_id, STEPS)
    assert redone <= 1
    assert not evidence.overlapping(run_id)
    report(
        f"SIGTERM during a {STEPS}-step run (grace 1 s): worker exited in {stopped_s:.1f} s "
        f"(code {exit_code}), run completed on the other worker in attempt {ended['attempt']}, "
        f"{STEPS - redone} of {STEPS} steps not redone"
    )


def test_a_rolling_restart_loses_no_run(
    fault_pool: Callable[..., FaultPool], redis_url: str
) -> None:
    # Given two workers busy with 16 runs
    pool = fault_pool(workers=2, ACTIONPOOL_WORKER_SHUTDOWN_GRACE_S="1")
    evidence = Evidence(redis_url, pool.prefix)
    input = {"redisUrl": redis_url, "prefix": pool.prefix, "steps": 4, "stepS": 0.5}
    run_ids = [pool.start_run("fault:count", input).json()["id"] for _ in range(16)]

    def busy() -> bool:
        runs = [pool.http.get(f"/v1/runs/{run_id}").json() for run_id in run_ids]
        return sum(r["status"] == "processing" for r in runs) >= 4

    wait_until(busy, what="four runs at work")
    # When each worker in turn is replaced (start a new one, SIGTERM the old one)
    for old in list(pool.workers):
        pool.add_worker()
        old.stop(timeout_s=15)
    # Then every run completes once
    ended = [pool.wait_run(run_id, wait_s=50) for run_id in run_ids]
    assert [r["status"] for r in ended] == ["completed"] * 16
    # And no run had two attempts at work at once; a step ran again only in a run that was
    # handed back (the step in flight), once per hand-back at most
    assert not any(evidence.overlapping(run_id) for run_id in run_ids)
    for run in ended:
        assert min(evidence.executions(run["id"], 4)) >= 1
        assert evidence.redone(run["id"], 4) <= run["attempt"] - 1, run
    handed_back = sum(1 for r in ended if r["attempt"] > 1)
    redone = sum(evidence.redone(run_id, 4) for run_id in run_ids)
    report(
        f"rolling restart of 2 workers during 16 runs: 16 completed, {handed_back} handed "
        f"back, 0 overlapping attempts, {redone} step effects run again, "
        f"{pool.redispatched()} lost messages put out again"
    )
