"""Distributed actions and a task retry: Backstage 1.45 runs every step of a retried task again,
so it invokes a completed registry step again. With the reserved `actionpool` input property
(taskId, stepId) the pool answers that invoke with the run it already has; without it, the
pool cannot tell the invoke from a new one and runs the action a second time."""

from __future__ import annotations

import pytest

from tests.backstage.backend import TEAM, Backstage, Task, report
from tests.backstage.conftest import INVOKE_WAIT_S, PoolUnderTest

pytestmark = pytest.mark.backstage


def invokes(task: Task, step_name: str, after: int = 0) -> int:
    """How often Backstage executed (so invoked) the step: its "Beginning step" log lines."""
    return sum(
        1
        for event in task.events
        if event["type"] == "log"
        and event["id"] > after
        and event["body"]["message"] == f"Beginning step {step_name}"
    )


@pytest.mark.timeout(180)
def test_a_retry_invokes_a_completed_step_again_and_without_its_context_it_runs_again(
    backstage: Backstage, pool: PoolUnderTest
) -> None:
    # Given a task of distributed actions without the reserved property: its first step
    # (debug.log) completed, its second failed
    task_id = backstage.create_task("actionpool-registry-unattached", {"fail": True})
    task = backstage.wait_for_end(task_id)
    assert task.status == "failed", task.events
    (first,) = pool.runs_mentioning(task_id)
    report(f"registry without actionpool property: run context {first['context']}")
    # When the user retries the task
    after = backstage.retry(task_id)
    retried = backstage.wait_for_end(task_id, after=after)
    # Then Backstage invoked the completed step again, and the pool ran it a second time
    again = invokes(retried, "Log in the pool", after)
    runs = pool.runs_mentioning(task_id)
    report(
        f"registry without actionpool property: retry invoked the completed step {again} "
        f"time(s); the pool holds {len(runs)} run(s) of it"
    )
    assert again == 1
    assert len(runs) == 2
    assert all(run["status"] == "completed" for run in runs)


@pytest.mark.timeout(180)
def test_a_retry_invokes_a_completed_step_again_and_with_its_context_it_does_not_run_again(
    backstage: Backstage, pool: PoolUnderTest
) -> None:
    # Given a task of the registry template (with the reserved property) whose first step
    # completed and whose second failed
    task_id = backstage.create_task(
        "actionpool-registry", {"owner": TEAM, "seconds": 0, "fail": True}
    )
    task = backstage.wait_for_end(task_id)
    assert task.status == "failed", task.events
    # When the user retries it
    after = backstage.retry(task_id)
    retried = backstage.wait_for_end(task_id, after=after)
    # Then Backstage invoked the completed step again, and the pool answered with its one run
    again = invokes(retried, "Sleep in the pool", after)
    runs = [run for run in pool.runs_of_task(task_id) if run["context"]["stepId"] == "sleep"]
    report(
        f"registry with actionpool property: retry invoked the completed step {again} "
        f"time(s); the pool holds {len(runs)} run(s) of it, {len(runs[0]['attempts'])} attempt(s)"
    )
    assert again == 1
    assert len(runs) == 1 and len(runs[0]["attempts"]) == 1


@pytest.mark.timeout(180)
def test_a_step_longer_than_the_invoke_wait_fails_and_its_retry_finds_the_run(
    backstage: Backstage, pool: PoolUnderTest
) -> None:
    # Given a registry task whose first step sleeps longer than the pool holds an invoke
    # (ACTIONPOOL_INVOKE_WAIT_S, INVOKE_WAIT_S here)
    seconds = INVOKE_WAIT_S + 5
    task_id = backstage.create_task("actionpool-registry", {"owner": TEAM, "seconds": seconds})
    # When the invoke's wait runs out
    task = backstage.wait_for_end(task_id)
    # Then the step fails with the pool's 504, naming the run, which goes on in the pool
    assert task.status == "failed", task.events
    (run,) = pool.runs_of_task(task_id)
    report(f"registry: invoke past its wait: step log {task.step_log('sleep')!r}")
    report(f"registry: invoke past its wait: completion error {task.completion()['error']!r}")
    assert "504" in task.completion()["error"]["message"]
    assert run["id"] in "\n".join(task.step_log("sleep"))
    # And once the run has completed, a retry of the task gets its output without a new run
    assert pool.wait_run(run["id"], wait_s=50)["status"] == "completed"
    after = backstage.retry(task_id)
    retried = backstage.wait_for_end(task_id, after=after)
    assert retried.status == "completed", retried.events
    assert retried.completion()["output"]["sleptS"] == pool.wait_run(run["id"])["output"]["sleptS"]
    assert [r["id"] for r in pool.runs_of_task(task_id) if r["context"]["stepId"] == "sleep"] == [
        run["id"]
    ]
