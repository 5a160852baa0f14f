"""What only the scaffolder module does: a task's cancellation cancels its pool run, and a step
runs as long as its action does, past every request timeout on the way (Roadie's 60 s, Node's
300 s, the pool's longest wait). BACKSTAGE_E2E_LONG_S sets the long action's length (default
75 s; the documented long run sets 600)."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

from tests.backstage.backend import Backstage, report
from tests.backstage.conftest import PoolUnderTest
from tests.waiting import wait_until

pytestmark = pytest.mark.backstage

LONG_S = float(os.environ.get("BACKSTAGE_E2E_LONG_S", "75"))
TEMPLATE = "actionpool-module"


@pytest.mark.timeout(180)
def test_cancelling_the_task_cancels_its_pool_run(
    backstage: Backstage, pool: PoolUnderTest
) -> None:
    # Given a module task whose step's run sleeps ten minutes and is running in the pool
    task_id = backstage.create_task(TEMPLATE, {"seconds": 600})

    def running() -> list[dict[str, Any]]:
        return [r for r in pool.runs_of_task(task_id) if r["status"] == "processing"]

    (run,) = wait_until(running, timeout_s=60, what=f"a processing run of task {task_id}")
    # When the user cancels the task
    started = time.monotonic()
    response = backstage.cancel(task_id)
    assert response.status_code == 200, response.text
    # Then the pool's run ends cancelled, long before its ten minutes
    ended = pool.wait_run(run["id"], wait_s=50, failOnError="false")
    assert ended["status"] == "cancelled", ended
    cancelled_s = time.monotonic() - started
    # And the task ends, its step showing the cancellation
    task = backstage.wait_for_end(task_id)
    report(f"module: task cancel -> pool run cancelled in {cancelled_s:.1f} s")
    report(f"module: cancelled task status {task.status!r}, completion {task.completion()!r}")
    report(f"module: cancelled step log: {task.step_log('sleep')!r}")
    report(f"module: cancelled step statuses: {task.step_statuses('sleep')!r}")
    report(f"module: cancelled task's event types: {[e['type'] for e in task.events]!r}")
    assert task.status in ("cancelled", "failed")
    assert task.step_statuses("sleep")[-1] in ("cancelled", "failed")
    # And no step after it started a run
    assert [r["context"]["stepId"] for r in pool.runs_of_task(task_id)] == ["sleep"]


@pytest.mark.timeout(LONG_S + 240)
def test_a_long_action_completes_through_the_module(
    backstage: Backstage, pool: PoolUnderTest
) -> None:
    # Given a module task whose action runs longer than any request on the way may take
    started = time.monotonic()
    task_id = backstage.create_task(TEMPLATE, {"seconds": LONG_S})
    # When it runs to its end
    task = backstage.wait_for_end(task_id, timeout_s=LONG_S + 180)
    took_s = time.monotonic() - started
    report(f"module: a {LONG_S:g} s action: task {task.status} after {took_s:.1f} s")
    # Then the task completed with the run's output, and the run's log is in the step's log
    assert task.status == "completed", task.events
    (sleep,) = [r for r in pool.runs_of_task(task_id) if r["context"]["stepId"] == "sleep"]
    assert sleep["status"] == "completed" and len(sleep["attempts"]) == 1
    assert task.completion()["output"]["sleptS"] == sleep["output"]["sleptS"] >= LONG_S
    log = task.step_log("sleep")
    assert any(f"slept {int(LONG_S)} of {LONG_S:g} s" in line for line in log), log[-5:]
