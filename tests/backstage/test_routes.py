"""Every route a Backstage template takes to the pool, run by a real Backstage 1.45 backend:
the proxy and direct routes (Roadie's http:backstage:request), distributed actions, and the
actionpool scaffolder module. Each: a step's output reaches the next step, a failing action
fails its step with its own error, a task retry runs no completed action again, and the runs
carry where they come from."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest

from tests.backstage.backend import GUEST, TEAM, Backstage, Task, report
from tests.backstage.conftest import PoolUnderTest

pytestmark = pytest.mark.backstage

ERROR_NAME = "NonRetryableActionError"
ERROR_MESSAGE = "debug:fail was asked to fail permanently"


@dataclasses.dataclass(frozen=True)
class Route:
    name: str
    template: str
    retries_a_failed_run: bool
    """A task retry runs a failed step's action once more (a new run after the failed one),
    rather than getting the failed run back."""

    def __str__(self) -> str:
        return self.name


PROXY = Route("proxy", "actionpool-proxy", retries_a_failed_run=False)
DIRECT = Route("direct", "actionpool-direct", retries_a_failed_run=False)
REGISTRY = Route("registry", "actionpool-registry", retries_a_failed_run=False)
MODULE = Route("module", "actionpool-module", retries_a_failed_run=True)
ROUTES = [PROXY, DIRECT, REGISTRY, MODULE]


def run_task(backstage: Backstage, route: Route, **values: Any) -> Task:
    started = time.monotonic()
    task_id = backstage.create_task(route.template, {"owner": TEAM, **values})
    task = backstage.wait_for_end(task_id)
    report(f"{route}: task {task.status} in {time.monotonic() - started:.1f} s ({values})")
    return task


def by_step(runs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    steps: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        steps.setdefault(run["context"]["stepId"], []).append(run)
    return steps


@pytest.mark.timeout(180)
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_a_steps_output_reaches_the_next_step(
    backstage: Backstage, pool: PoolUnderTest, route: Route
) -> None:
    # Given the route's template, whose last step logs in the pool what its first step returned
    # When a user runs it
    task = run_task(backstage, route, seconds=1)
    # Then the task completes, and the first run's output is in the second run's input
    assert task.status == "completed", task.events
    output = task.completion()["output"]
    runs = by_step(pool.runs_of_task(task.id))
    (sleep,) = runs["sleep"]
    (log,) = runs["log"]
    assert sleep["status"] == log["status"] == "completed"
    assert output["sleptS"] == sleep["output"]["sleptS"]
    assert f"slept {sleep['output']['sleptS']} s" in log["input"]["message"]
    assert output["logged"] == log["output"]["message"] == log["input"]["message"]


@pytest.mark.timeout(180)
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_the_runs_carry_the_task_step_template_team_and_user(
    backstage: Backstage, pool: PoolUnderTest, route: Route
) -> None:
    # Given a task of the route's template, run by the guest user (a member of TEAM)
    task = run_task(backstage, route, seconds=0)
    assert task.status == "completed", task.events
    # When its runs are read from the pool
    runs = pool.runs_of_task(task.id)
    # Then each names the task, its step, the template, the team and the user
    assert sorted(run["context"]["stepId"] for run in runs) == ["log", "sleep"]
    for run in runs:
        context = run["context"]
        report(f"{route}: run context {context}")
        assert context["taskId"] == task.id
        assert context["templateRef"] == f"template:default/{route.template}"
        assert context["owner"] == TEAM
        assert context["userRef"] == GUEST


@pytest.mark.timeout(180)
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_a_failing_action_fails_its_step_with_its_error(
    backstage: Backstage, pool: PoolUnderTest, route: Route
) -> None:
    # Given the route's template asked to fail its second step (debug:fail, nonRetryable)
    # When a user runs it
    task = run_task(backstage, route, seconds=0, fail=True)
    # Then the task fails at that step, the steps after it do not run
    assert task.status == "failed", task.events
    assert task.step_statuses("sleep")[-1] == "completed"
    assert task.step_statuses("fail")[-1] == "failed"
    assert "log" not in by_step(pool.runs_of_task(task.id))
    # And the pool's run failed with the action's error
    (failed,) = by_step(pool.runs_of_task(task.id))["fail"]
    assert failed["error"] == {"name": ERROR_NAME, "message": ERROR_MESSAGE}
    # And what Backstage shows: the step's log and the task's completion event
    log = task.step_log("fail")
    error = task.completion()["error"]
    report(f"{route}: failed step log: {log!r}")
    report(f"{route}: completion error: {error!r}")
    shown = "\n".join(log)
    assert ERROR_NAME in shown and ERROR_MESSAGE in shown


@pytest.mark.timeout(240)
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_a_task_retry_runs_no_completed_action_again(
    backstage: Backstage, pool: PoolUnderTest, route: Route
) -> None:
    # Given a task whose first step completed and whose second step failed
    task = run_task(backstage, route, seconds=0, fail=True)
    assert task.status == "failed"
    before = by_step(pool.runs_of_task(task.id))
    # When the user retries it
    after_event = backstage.retry(task.id)
    retried = backstage.wait_for_end(task.id, after=after_event)
    # Then the task runs again and fails again at the same step
    assert retried.status == "failed", retried.events
    report(
        f"{route}: retry: step statuses sleep {retried.step_statuses('sleep', after_event)}, "
        f"fail {retried.step_statuses('fail', after_event)}"
    )
    # And the completed step's action did not run again: still its one run, one attempt
    after = by_step(pool.runs_of_task(task.id))
    assert sorted(after) == sorted(before) == ["fail", "sleep"]
    assert [run["id"] for run in after["sleep"]] == [run["id"] for run in before["sleep"]]
    assert [len(run["attempts"]) for run in after["sleep"]] == [1]
    # And the failed step got its failed run back, or (module) ran its action once more
    report(f"{route}: retry: runs of the failed step: {[r['status'] for r in after['fail']]}")
    assert after["fail"][0]["id"] == before["fail"][0]["id"]
    assert len(after["fail"]) == (2 if route.retries_a_failed_run else 1)
