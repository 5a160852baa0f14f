"""The documented long run over HTTP (examples/backstage/templates/direct-long.yaml): for a
Backstage without the module, a start step and follow steps that each wait again, the last
one requiring the run's end, so the task neither times out nor succeeds while the run goes
on. The waits are short (WAIT_S), so the run outlasts the first two steps; the documented long
run sets BACKSTAGE_E2E_HTTP_WAIT_S=280 for the first test (a 700 s run, each step one request
of 280 s, past Roadie's default 60 s)."""

from __future__ import annotations

import os

import pytest

from tests.backstage.backend import TEAM, Backstage, report
from tests.backstage.conftest import PoolUnderTest

pytestmark = pytest.mark.backstage

TEMPLATE = "actionpool-direct-long"
WAIT_S = 8
HTTP_WAIT_S = float(os.environ.get("BACKSTAGE_E2E_HTTP_WAIT_S", WAIT_S))


@pytest.mark.timeout(3 * HTTP_WAIT_S + 180)
def test_a_run_longer_than_two_waits_completes_in_the_third_step(
    backstage: Backstage, pool: PoolUnderTest
) -> None:
    # Given a run that outlasts the start step's wait and the first follow step's
    seconds = 2.5 * HTTP_WAIT_S
    # When a user runs the long-run template
    task_id = backstage.create_task(
        TEMPLATE, {"owner": TEAM, "seconds": seconds, "waitS": HTTP_WAIT_S}
    )
    task = backstage.wait_for_end(task_id, timeout_s=3 * HTTP_WAIT_S + 120)
    # Then the task completes with the run's output, taken from the last step
    assert task.status == "completed", task.events
    (run,) = pool.runs_of_task(task_id)
    assert run["status"] == "completed" and len(run["attempts"]) == 1
    assert task.completion()["output"]["sleptS"] == run["output"]["sleptS"] >= seconds
    report(f"long run over HTTP: {seconds:g} s run, waits of {HTTP_WAIT_S:g} s: {task.status}")


@pytest.mark.timeout(180)
def test_a_run_longer_than_every_wait_fails_the_task_instead_of_passing(
    backstage: Backstage, pool: PoolUnderTest
) -> None:
    # Given a run longer than all three steps' waits together
    task_id = backstage.create_task(
        TEMPLATE, {"owner": TEAM, "seconds": 4 * WAIT_S, "waitS": WAIT_S}
    )
    # When the task runs
    task = backstage.wait_for_end(task_id)
    # Then its last step fails, naming the run that still goes on, rather than succeeding
    assert task.status == "failed", task.events
    (run,) = pool.runs_of_task(task_id)
    shown = "\n".join(task.step_log("follow-2"))
    assert "RunStillProcessingError" in shown and run["id"] in shown, shown
    report(f"long run over HTTP: still running after three waits: {shown[:300]!r}")
    # And the run itself is unharmed: it completes in the pool
    assert pool.wait_run(run["id"], wait_s=60)["status"] == "completed"
