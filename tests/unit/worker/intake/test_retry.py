"""The retry policy's pure parts: the reopened run's budget and limits, its hash fields, what
each answer of `retry.lua` means, and the retry key's digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from actionpool.actions.action import RetryPolicy, action
from actionpool.actions.context import ActionContext
from actionpool.actions.errors import (
    InputValidationError,
    RunNotFoundError,
    RunNotRetryableError,
)
from actionpool.actions.model import ActionModel
from actionpool.worker.intake.idempotency import digest, retry_digest
from actionpool.worker.intake.retry import answer, reopened, reopened_fields
from actionpool.worker.store.records import ErrorInfo, Run, RunStatus
from actionpool.worker.store.retries import Retry

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


class Empty(ActionModel):
    pass


@action(
    "test:limited",
    description="limits",
    queue_timeout_s=60,
    deadline_s=600,
    retry=RetryPolicy(max_attempts=2),
)
def limited(input: Empty, ctx: ActionContext) -> Empty:
    return Empty()


def failed_run(**changes: object) -> Run:
    fields: dict[str, object] = {
        "id": "5b0c1f5e-8a4f-4c43-9d3e-0c7d1c2b3a4f",
        "action_id": "test:limited",
        "status": RunStatus.FAILED,
        "input": {},
        "attempt": 3,
        "max_attempts": 3,
        "queue": "default",
        "created_at": NOW - timedelta(hours=2),
        "finished_at": NOW - timedelta(hours=1),
        "error": ErrorInfo(name="Boom", message="boom"),
        "deadline_at": NOW - timedelta(hours=1),
    }
    return Run(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_reopened_run_has_a_fresh_budget_and_limits_from_now() -> None:
    # Given a run that used 3 attempts and is past its deadline
    run = failed_run()
    # When it is reopened
    again = reopened(run, limited, NOW)
    # Then it is open, clean, with the action's 2 attempts after its 3, limits from now
    assert (again.status, again.error, again.finished_at) == (RunStatus.OPEN, None, None)
    assert (again.attempt, again.max_attempts) == (3, 5)
    assert again.queue_deadline_at == NOW + timedelta(seconds=60)
    assert again.deadline_at == NOW + timedelta(seconds=600)
    assert again.created_at == run.created_at


def test_reopened_fields_carry_the_new_limits_in_both_forms() -> None:
    # Given a reopened run; When its fields are built; Then ISO and epoch ms both change
    fields = reopened_fields(reopened(failed_run(), limited, NOW))
    assert fields["maxAttempts"] == "5"
    assert fields["deadlineMs"] == str(int((NOW + timedelta(seconds=600)).timestamp() * 1000))
    assert fields["queueDeadlineAt"].startswith("2026-12-03T09:01:00")


def test_a_run_without_limits_gets_none() -> None:
    # Given an action without limits (the run's own old deadline is dropped)
    @action("test:unlimited", description="none")
    def unlimited(input: Empty, ctx: ActionContext) -> Empty:
        return Empty()

    # When it is reopened, Then it has no deadline and its fields name none
    again = reopened(failed_run(action_id="test:unlimited"), unlimited, NOW)
    assert (again.deadline_at, again.queue_deadline_at) == (None, None)
    assert set(reopened_fields(again)) == {"maxAttempts"}


@pytest.mark.parametrize("outcome", ["retried", "replay"])
def test_a_retry_or_its_replay_answers_the_run(outcome: str) -> None:
    run = failed_run(status=RunStatus.OPEN)
    assert answer(Retry(outcome, run), run.id) is run  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("outcome", "status", "error", "says"),
    [
        ("open", RunStatus.OPEN, RunNotRetryableError, "is open"),
        ("processing", RunStatus.PROCESSING, RunNotRetryableError, "is processing"),
        ("completed", RunStatus.COMPLETED, RunNotRetryableError, "is completed"),
        ("stale", RunStatus.OPEN, RunNotRetryableError, "changed"),
        ("secrets-required", RunStatus.FAILED, InputValidationError, "secrets"),
    ],
)
def test_each_refusal_is_its_domain_error(
    outcome: str, status: RunStatus, error: type[Exception], says: str
) -> None:
    run = failed_run(status=status)
    with pytest.raises(error, match=says):
        answer(Retry(outcome, run), run.id)  # type: ignore[arg-type]


def test_a_missing_run_is_not_found() -> None:
    with pytest.raises(RunNotFoundError):
        answer(Retry("missing", None), "x")


def test_a_retry_key_never_names_a_run_key() -> None:
    # Given the same key, as a run's key for an owner spelled like the run id, and as a retry's
    # Then the digests differ, and a retry key is per run
    run_id = "5b0c1f5e-8a4f-4c43-9d3e-0c7d1c2b3a4f"
    assert retry_digest(run_id, "k") != digest(run_id, "k")
    assert retry_digest(run_id, "k") != retry_digest("another", "k")
    assert retry_digest(run_id, "k") == retry_digest(run_id, "k")
