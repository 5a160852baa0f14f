"""kill -9 of a worker in the middle of 20 runs, with 2 workers: nothing lost or duplicated."""

from __future__ import annotations

import signal
import statistics
import time
from collections.abc import Callable
from datetime import datetime

from tests.faults.conftest import FaultPool, report
from tests.faults.evidence import Evidence
from tests.waiting import wait_until

RUNS = 20
STEPS = 4


def start_runs(pool: FaultPool, redis_url: str) -> list[str]:
    input = {"redisUrl": redis_url, "prefix": pool.prefix, "steps": STEPS, "stepS": 0.5}
    return [pool.start_run("fault:count", input).json()["id"] for _ in range(RUNS)]


def victim_busy(pool: FaultPool, run_ids: list[str], victim: str) -> bool:
    """True once the victim is running at least two attempts (the kill hits work in flight)."""
    runs = [pool.http.get(f"/v1/runs/{run_id}").json() for run_id in run_ids]
    busy = [
        r for r in runs if r["status"] == "processing" and r["attempts"][-1]["worker"] == victim
    ]
    return len(busy) >= 2


def test_kill_9_of_a_worker_loses_and_duplicates_nothing(
    fault_pool: Callable[..., FaultPool], redis_url: str
) -> None:
    # Given two workers and 20 runs of an action that counts its side effects
    pool = fault_pool(workers=2)
    evidence = Evidence(redis_url, pool.prefix)
    victim = pool.names["worker0"]
    run_ids = start_runs(pool, redis_url)
    wait_until(lambda: victim_busy(pool, run_ids, victim), what="two attempts on the victim")
    # When one worker (main process and children) is killed with SIGKILL
    killed_at = time.time()
    pool.workers[0].signal_group(signal.SIGKILL)
    # Then every run completes, each exactly once
    ended = [pool.wait_run(run_id, wait_s=50) for run_id in run_ids]
    assert [r["status"] for r in ended] == ["completed"] * RUNS
    events = [pool.http.get(f"/v1/runs/{r}/events").json() for r in run_ids]
    assert [[e["type"] for e in ev].count("completion") for ev in events] == [1] * RUNS
    # And no two attempts of a run were ever at work at once
    assert not any(evidence.overlapping(run_id) for run_id in run_ids)
    # And the runs the victim held were recorded lost and recovered
    recovered = [r for r in ended if r["attempts"][0]["worker"] == victim and r["attempt"] > 1]
    assert recovered, "the kill hit no attempt"
    lost = [r["attempts"][0] for r in recovered]
    assert {a["error"]["name"] for a in lost} == {"WorkerLostError"}
    # And every step's effect ran; the recovered attempts skipped the steps checkpointed
    # before the kill: only a step in flight when the worker died ran again, once at most
    assert all(min(evidence.executions(run_id, STEPS)) >= 1 for run_id in run_ids)
    redone = {run_id: evidence.redone(run_id, STEPS) for run_id in run_ids}
    recovered_ids = {r["id"] for r in recovered}
    assert all(n <= (1 if run_id in recovered_ids else 0) for run_id, n in redone.items()), redone
    recovery_s = [seconds_since(killed_at, a["finishedAt"]) for a in lost]
    restart_s = [seconds_since(killed_at, r["attempts"][1]["startedAt"]) for r in recovered]
    report(
        f"kill -9 of 1 of 2 workers during {RUNS} runs: {RUNS} completed, 0 lost, "
        f"0 duplicated completions, 0 overlapping attempts, {sum(redone.values())} step "
        f"effects run again (a step in flight at the kill), {len(recovered)} runs recovered "
        f"in p50 {statistics.median(recovery_s):.1f} s / max {max(recovery_s):.1f} s "
        f"(lease TTL 3 s + sweep 1 s), their next attempt started after max "
        f"{max(restart_s):.1f} s (behind the queue), {pool.redispatched()} lost messages "
        "put out again by the sweep's guard"
    )


def seconds_since(moment: float, iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp() - moment
