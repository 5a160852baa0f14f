"""A run that kills its worker process every time ends failed instead of looping."""

from __future__ import annotations

from collections.abc import Callable

from tests.faults.conftest import FaultPool, report


def test_a_run_that_kills_its_worker_every_time_fails_with_worker_lost(
    fault_pool: Callable[..., FaultPool],
) -> None:
    # Given a run whose action kills the process running it (3 attempts allowed)
    pool = fault_pool(workers=1)
    run = pool.start_run("fault:crash", {}).json()
    # When every attempt dies with its process
    ended = pool.wait_run(run["id"], wait_s=40, failOnError="false")
    # Then the run ends failed with WorkerLostError after its 3 attempts
    assert ended["status"] == "failed"
    assert ended["error"]["name"] == "WorkerLostError"
    assert [a["error"]["name"] for a in ended["attempts"]] == ["WorkerLostError"] * 3
    # And the worker still serves the next run
    after = pool.start_run("debug:log", {"message": "still serving"}, wait_s=20)
    assert after.json()["status"] == "completed"
    report("a run that kills its worker every attempt: failed with WorkerLostError after 3 of 3")
