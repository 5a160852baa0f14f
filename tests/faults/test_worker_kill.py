"""kill -9 of a worker in the middle of 20 runs, with 2 workers: nothing lost or duplicated."""

from __future__ import annotations

import signal
import statistics
import time
from collections.abc import Callable
from datetime import datetime

import redis

from tests.faults.conftest import FaultPool, report

RUNS = 20
STEPS = 4
LEASE_TTL_S = 3.0
SWEEP_INTERVAL_S = 1.0


def start_runs(pool: FaultPool, redis_url: str) -> list[str]:
    input = {"redisUrl": redis_url, "prefix": pool.prefix, "steps": STEPS, "stepS": 0.5}
    return [pool.start_run("fault:count", input).json()["id"] for _ in range(RUNS)]


def wait_for_victim_attempts(pool: FaultPool, run_ids: list[str], victim: str) -> None:
    """Until the victim is running at least two attempts (so the kill hits work in flight)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        runs = [pool.http.get(f"/v1/runs/{run_id}").json() for run_id in run_ids]
        busy = [
            r for r in runs if r["status"] == "processing" and r["attempts"][-1]["worker"] == victim
        ]
        if len(busy) >= 2:
            return
        time.sleep(0.1)
    raise AssertionError("the victim never ran two attempts at once")


def overlapping_attempts(client: redis.Redis, prefix: str, run_id: str) -> bool:
    """True if two attempts of the run executed steps at the same time."""
    spans: dict[int, list[float]] = {}
    for entry in client.lrange(f"{prefix}trace:{run_id}", 0, -1):
        attempt, at = entry.split()
        spans.setdefault(int(attempt), []).append(float(at))
    ordered = [spans[a] for a in sorted(spans)]
    return any(max(a) >= min(b) for a, b in zip(ordered, ordered[1:], strict=False))


def test_kill_9_of_a_worker_loses_and_duplicates_nothing(
    fault_pool: Callable[..., FaultPool], redis_url: str
) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    # Given two workers and 20 runs of an action that counts its side effects
    pool = fault_pool(workers=2)
    victim = pool.names["worker0"]
    run_ids = start_runs(pool, redis_url)
    wait_for_victim_attempts(pool, run_ids, victim)
    # When one worker (main process and children) is killed with SIGKILL
    killed_at = time.time()
    pool.workers[0].signal_group(signal.SIGKILL)
    # Then every run completes, each exactly once
    ended = [pool.wait_run(run_id, wait_s=50) for run_id in run_ids]
    assert [r["status"] for r in ended] == ["completed"] * RUNS
    events = [pool.http.get(f"/v1/runs/{r}/events").json() for r in run_ids]
    assert [[e["type"] for e in ev].count("completion") for ev in events] == [1] * RUNS
    # And every side effect was applied exactly once, and no run had two live attempts
    applied = client.hgetall(f"{pool.prefix}applied")
    assert len(applied) == RUNS * STEPS and set(applied.values()) == {"1"}
    assert not any(overlapping_attempts(client, pool.prefix, run_id) for run_id in run_ids)
    # And the runs the victim held were dispatched again within lease TTL + sweep interval
    recovered = [r for r in ended if r["attempts"][0]["worker"] == victim and r["attempt"] > 1]
    assert recovered, "the kill hit no attempt"
    lost = [r["attempts"][0] for r in recovered]
    assert {a["error"]["name"] for a in lost} == {"WorkerLostError"}
    recovery_s = [seconds_since(killed_at, a["finishedAt"]) for a in lost]
    restart_s = [seconds_since(killed_at, r["attempts"][1]["startedAt"]) for r in recovered]
    assert max(recovery_s) < LEASE_TTL_S + SWEEP_INTERVAL_S + 1, recovery_s
    # And the recovered attempts skipped the steps checkpointed before the kill (at most the
    # step in flight when the worker died runs again)
    executed = client.hgetall(f"{pool.prefix}executed")
    reruns = sum(int(n) - 1 for n in executed.values())
    assert reruns <= len(recovered)
    report(
        f"kill -9 of 1 of 2 workers during {RUNS} runs: {RUNS} completed, 0 lost, "
        f"0 duplicated completions, {len(applied)} side effects applied once each "
        f"({reruns} step re-executions), {len(recovered)} runs recovered in "
        f"p50 {statistics.median(recovery_s):.1f} s / max {max(recovery_s):.1f} s "
        f"(lease TTL {LEASE_TTL_S:g} s + sweep {SWEEP_INTERVAL_S:g} s), their next attempt "
        f"started after max {max(restart_s):.1f} s (behind the queue)"
    )


def seconds_since(moment: float, iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp() - moment
