"""Backstage's actions-registry protocol on real API and worker processes: an invoke answers
when its run has ended, with its output or its error."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import Pool

pytestmark = pytest.mark.e2e

INVOKE = "/.backstage/actions/v1/actions/actionpool%3A{name}/invoke"


def test_an_invoke_answers_the_output_of_the_run_it_waited_for(pool: Pool) -> None:
    # Given a step's input with the task's context
    task = f"task-{uuid.uuid4().hex[:8]}"
    body = {"message": "from Backstage", "actionpool": {"taskId": task, "stepId": "say"}}
    # When Backstage invokes the action, then invokes it again (a retried task)
    first = pool.http.post(INVOKE.format(name="debug.log"), json=body)
    again = pool.http.post(INVOKE.format(name="debug.log"), json=body)
    # Then both answer the run's output
    assert first.status_code == again.status_code == 200, first.text
    assert first.json() == again.json() == {"output": {"message": "from Backstage"}}
    # And the step has one run, ran once: the HTTP route's taskId:stepId key finds it too
    replay = pool.http.post(
        "/v1/actions/debug:log/runs",
        json={"input": {"message": "from Backstage"}, "context": {"taskId": task, "stepId": "say"}},
    )
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json()["attempt"] == 1


def test_a_failed_run_answers_424_with_its_error_first(pool: Pool) -> None:
    # When an action that fails for good is invoked
    answer = pool.http.post(INVOKE.format(name="debug.fail"), json={"mode": "nonRetryable"})
    # Then the answer is 424 with the run's own error, and names the run without repeating it
    assert answer.status_code == 424, answer.text
    body = answer.json()
    assert list(body)[:2] == ["error", "run"]
    assert body["error"] == {
        "name": "NonRetryableActionError",
        "message": "debug:fail was asked to fail permanently",
    }
    assert body["run"]["status"] == "failed"
    # And the status line says it too: Backstage's client shows only the status and reason
    assert answer.reason_phrase == (
        "NonRetryableActionError: debug:fail was asked to fail permanently"
    )
    assert "x-actionpool-reason" not in answer.headers
    assert answer.headers["Location"] == f"/v1/runs/{body['run']['id']}"


def test_a_wait_that_requires_the_end_fails_while_the_run_goes_on(pool: Pool) -> None:
    # Given a run longer than the wait of the step that starts it, which requires its end
    started = pool.http.post(
        "/v1/actions/debug:sleep/runs",
        params={"wait": 0.5, "requireEnd": "true"},
        json={"input": {"seconds": 2}},
    )
    # Then that step's answer is a 504 naming the run, not a 202 that would pass as success
    assert started.status_code == 504, started.text
    assert started.json()["error"]["name"] == "RunStillProcessingError"
    run_id = started.json()["run"]["id"]
    # And a follow step that waits long enough sees it end
    followed = pool.http.get(f"/v1/runs/{run_id}", params={"wait": 30, "requireEnd": "true"})
    assert followed.status_code == 200 and followed.json()["status"] == "completed"
