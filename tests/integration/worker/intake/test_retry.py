"""Retrying an ended run on the real Redis: the same run as its next attempt, from its
checkpoints, idempotent, and refused for a run that has not ended or completed."""

from __future__ import annotations

import threading

import pytest

from actionpool.actions.action import action
from actionpool.actions.context import ActionContext
from actionpool.actions.errors import (
    InputValidationError,
    NonRetryableActionError,
    RunNotRetryableError,
)
from actionpool.actions.model import ActionModel
from actionpool.actions.registry import Registry
from actionpool.worker.client import PoolClient, RetryRequest
from actionpool.worker.execution.executor import Executor
from actionpool.worker.store.records import RunStatus
from actionpool.worker.store.store import RunStore
from tests.clock import ManualClock
from tests.integration.conftest import Broker, MakeRun

pytestmark = pytest.mark.anyio

BROKEN = threading.Event()
"""While set, `test:two-steps` fails after its first step."""
EFFECTS: list[str] = []
"""The first step's side effect, once per execution."""


class Empty(ActionModel):
    pass


class Steps(ActionModel):
    second: str


@action("test:two-steps", description="a checkpointed first step, then a second that can fail")
def two_steps(input: Empty, ctx: ActionContext) -> Steps:
    ctx.checkpoint("first", lambda: EFFECTS.append(ctx.run_id) or "done")
    if BROKEN.is_set():
        raise NonRetryableActionError("the second step is broken")
    return Steps(second=f"attempt {ctx.attempt}")


@action("test:limited", description="fails at once", queue_timeout_s=60, deadline_s=600)
def limited(input: Empty, ctx: ActionContext) -> Empty:
    raise NonRetryableActionError("failed at once")


@pytest.fixture
def registry() -> Registry:
    registry = Registry()
    registry.register(two_steps)
    registry.register(limited)
    from actionpool.actions.builtin import debug

    for item in (debug.log, debug.sleep, debug.fail):
        registry.register(item)
    return registry


def operator(run_id: str, **changes: object) -> RetryRequest:
    return RetryRequest(run_id=run_id, requested_by="static:oncall", **changes)  # type: ignore[arg-type]


async def test_a_failed_run_completes_as_its_next_attempt_from_its_checkpoints(
    store: RunStore, client: PoolClient, executor: Executor, make_run: MakeRun
) -> None:
    # Given a run whose first step succeeded (a checkpoint) and whose second step failed
    BROKEN.set()
    EFFECTS.clear()
    run_id = make_run("test:two-steps", {})
    assert executor.run_attempt(run_id, 1, "default") == "failed"
    # When the cause is fixed and the run is retried
    BROKEN.clear()
    reopened = await client.retry_run(operator(run_id))
    # Then it is open again as attempt 2 of a fresh budget, its message on the queue
    assert (reopened.status, reopened.attempt, reopened.error) == (RunStatus.OPEN, 1, None)
    assert reopened.max_attempts == 1 + two_steps.retry.max_attempts
    assert reopened.finished_at is None
    # And attempt 2 completes without doing the first step again
    assert executor.run_attempt(run_id, 2, "default") == "completed"
    run = store.get(run_id)
    assert (run.status, run.output) == (RunStatus.COMPLETED, {"second": "attempt 2"})
    assert [a.status for a in run.attempts] == [RunStatus.FAILED, RunStatus.COMPLETED]
    assert [run_id] == EFFECTS
    assert "Retry requested by static:oncall: attempt 2 queued" in [
        e.body.get("message") for e in store.events(run_id)
    ]


async def test_a_retried_run_is_back_in_the_open_index_and_not_forgotten(
    store: RunStore, client: PoolClient, executor: Executor, make_run: MakeRun
) -> None:
    # Given a failed run, which the sweep would forget when its retention ends
    run_id = make_run("debug:fail", {"mode": "nonRetryable"})
    assert executor.run_attempt(run_id, 1, "default") == "failed"
    keys, redis = store.keys, store.redis
    assert redis.zscore(keys.forgettable, run_id) is not None
    assert redis.ttl(keys.run(run_id)) > 0
    # When it is retried
    await client.retry_run(operator(run_id))
    # Then it is an open run again: indexed as open, kept for good, on the sweep's watch
    assert redis.zscore(keys.index("status", "open"), run_id) is not None
    assert redis.zscore(keys.index("status", "failed"), run_id) is None
    assert redis.zscore(keys.forgettable, run_id) is None
    assert redis.ttl(keys.run(run_id)) == -1
    assert redis.zscore(keys.waiting("default"), run_id) is not None


async def test_a_cancelled_run_that_never_started_runs_as_attempt_1(
    store: RunStore, client: PoolClient, executor: Executor, make_run: MakeRun
) -> None:
    # Given a run cancelled before it started
    run_id = make_run("debug:log", {"message": "x"})
    assert store.cancel(run_id, "default") == "cancelled"
    # When it is retried
    await client.retry_run(operator(run_id))
    # Then its first attempt runs and completes (the cancel request is gone)
    assert executor.run_attempt(run_id, 1, "default") == "completed"
    assert store.get(run_id).cancel_requested_at is None


@pytest.mark.parametrize("ended", ["open", "completed"])
async def test_a_run_that_is_open_or_completed_is_not_retried(
    store: RunStore, client: PoolClient, executor: Executor, make_run: MakeRun, ended: str
) -> None:
    # Given a run still waiting, or one that completed
    run_id = make_run("debug:log", {"message": "x"})
    if ended == "completed":
        assert executor.run_attempt(run_id, 1, "default") == "completed"
    # When it is retried, Then that is refused, and the run is as it was
    with pytest.raises(RunNotRetryableError, match=f"is {ended}"):
        await client.retry_run(operator(run_id))
    assert store.get(run_id).status == ended


async def test_the_same_key_retries_once(
    store: RunStore, client: PoolClient, executor: Executor, make_run: MakeRun, broker: Broker
) -> None:
    # Given a failed run retried with an idempotency key
    run_id = make_run("debug:fail", {"mode": "nonRetryable"})
    assert executor.run_attempt(run_id, 1, "default") == "failed"
    first = await client.retry_run(operator(run_id, header_key="retry-1"))
    # When the same request comes again (its reply was lost), even after the attempt failed
    assert executor.run_attempt(run_id, 2, "default") == "failed"
    again = await client.retry_run(operator(run_id, header_key="retry-1"))
    # Then it answers with the run, retried once: no third attempt
    assert (first.attempt, again.attempt, again.status) == (1, 2, RunStatus.FAILED)
    assert sorted(args[1] for args in broker.task_args()) == [1, 2]  # one message each
    # And another key retries it again
    third = await client.retry_run(operator(run_id, header_key="retry-2"))
    assert (third.status, third.attempt) == (RunStatus.OPEN, 2)


async def test_a_run_started_with_secrets_needs_them_again(
    store: RunStore, client: PoolClient, executor: Executor, make_run: MakeRun
) -> None:
    # Given a failed run that was started with secrets (dropped when it ended)
    run_id = make_run("debug:fail", {"mode": "nonRetryable"}, secrets={"token": "s3cret-1"})
    assert executor.run_attempt(run_id, 1, "default") == "failed"
    assert not store.redis.exists(store.keys.secrets(run_id))
    # When it is retried without them, Then that is refused and it stays failed
    with pytest.raises(InputValidationError, match="send them again"):
        await client.retry_run(operator(run_id))
    assert store.get(run_id).status == RunStatus.FAILED
    # And with them, it is reopened with its secrets sealed again
    await client.retry_run(operator(run_id, secrets={"token": "s3cret-2"}))
    sealed = store.redis.get(store.keys.secrets(run_id))
    assert sealed is not None and "s3cret-2" not in sealed
    # And its attempt gets them (a claim that found them missing would fail the run)
    assert executor.run_attempt(run_id, 2, "default") == "failed"
    assert store.get(run_id).error.name == "NonRetryableActionError"  # type: ignore[union-attr]


async def test_the_new_attempt_has_fresh_time_limits(
    store: RunStore,
    client: PoolClient,
    executor: Executor,
    make_run: MakeRun,
    clock: ManualClock,
) -> None:
    # Given a run with a queue timeout and a deadline, which failed an hour after it started
    run_id = make_run("test:limited", {})
    assert executor.run_attempt(run_id, 1, "default") == "failed"
    clock.advance(3600)
    # When it is retried
    run = await client.retry_run(operator(run_id))
    # Then both count from the retry, and the sweep looks at it by the earlier
    now = store.now()
    assert run.queue_deadline_at is not None and run.deadline_at is not None
    assert (run.queue_deadline_at - now).total_seconds() == pytest.approx(60, abs=1)
    assert (run.deadline_at - now).total_seconds() == pytest.approx(600, abs=1)
    due_ms = store.redis.zscore(store.keys.due, run_id)
    assert due_ms == pytest.approx(run.queue_deadline_at.timestamp() * 1000, abs=1)
    # And the attempt is claimed (not refused as past its old deadline)
    assert executor.run_attempt(run_id, 2, "default") == "failed"
    assert len(store.get(run_id).attempts) == 2
