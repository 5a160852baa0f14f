"""Executor against the real Redis and broker, without a Celery worker: one attempt at a time."""

from __future__ import annotations

import json

import pytest
import redis

from actionpool.actions.action import action
from actionpool.actions.context import ActionContext
from actionpool.actions.errors import WorkerLostError
from actionpool.actions.model import ActionModel
from actionpool.actions.registry import Registry
from actionpool.worker.client import PoolClient, RunRequest
from actionpool.worker.execution.executor import Executor
from actionpool.worker.settings import PoolSettings
from actionpool.worker.store.records import Attempt, RunContext, RunStatus
from actionpool.worker.store.store import RunStore
from tests.integration.conftest import Broker

pytestmark = pytest.mark.anyio


class TokenInput(ActionModel):
    steps: int = 1


class TokenOutput(ActionModel):
    created: list[str]


CREATED: list[str] = []


@action("test:checkpointed", description="creates things behind checkpoints, fails once")
def checkpointed(input: TokenInput, ctx: ActionContext) -> TokenOutput:
    made = [ctx.checkpoint(f"create.{n}", lambda n=n: _create(n)) for n in range(input.steps)]
    ctx.logger.info("used token %s", ctx.secrets["token"])
    if ctx.attempt == 1:
        raise RuntimeError(f"transient failure after {ctx.workspace.name}")
    return TokenOutput(created=made)


def _create(n: int) -> str:
    CREATED.append(f"thing-{n}")
    return f"thing-{n}"


@pytest.fixture
def pool(client: PoolClient, registry: Registry, executor: Executor) -> tuple[PoolClient, Executor]:
    """The API's client and a worker's executor, with `test:checkpointed` registered."""
    registry.register(checkpointed)
    return client, executor


async def start(
    client: PoolClient,
    action_id: str,
    input: dict,  # type: ignore[type-arg]
    secrets: dict[str, str] | None = None,
) -> str:
    request = RunRequest(input=input, context=RunContext(), secrets=secrets or {})
    return (await client.create_run(action_id, request)).run.id


async def test_successful_attempt_completes_the_run(
    pool: tuple[PoolClient, Executor], store: RunStore, broker: Broker
) -> None:
    client, executor = pool
    # Given a run whose first attempt was dispatched
    run_id = await start(client, "debug:log", {"message": "hello"})
    assert broker.task_args() == [[run_id, 1]]
    # When the attempt runs
    assert executor.run_attempt(run_id, 1, "default") == "completed"
    # Then the run is completed with its output, a log line and a completion event
    run = store.get(run_id)
    assert run.status == RunStatus.COMPLETED and run.output == {"message": "hello"}
    assert [e.type for e in store.events(run_id)] == ["log", "log", "completion"]
    assert store.events(run_id)[-1].body["output"] == {"message": "hello"}


async def test_failed_attempt_is_retried_and_checkpoints_are_kept(
    pool: tuple[PoolClient, Executor], store: RunStore, broker: Broker, settings: PoolSettings
) -> None:
    client, executor = pool
    CREATED.clear()
    # Given a run that creates two things behind checkpoints and fails on attempt 1
    run_id = await start(client, "test:checkpointed", {"steps": 2}, secrets={"token": "tok-123456"})
    # When attempt 1 fails
    assert executor.run_attempt(run_id, 1, "default") == "retrying"
    # Then attempt 2 is dispatched with a delay and the run is open again
    assert broker.task_args() == [[run_id, 2], [run_id, 1]]
    assert broker.messages()[0]["headers"]["eta"] is not None
    assert store.get(run_id).status == RunStatus.OPEN
    # When attempt 2 runs
    assert executor.run_attempt(run_id, 2, "default") == "completed"
    # Then the checkpointed work happened once, and the secret never reached the log
    assert CREATED == ["thing-0", "thing-1"]
    run = store.get(run_id)
    assert run.output == {"created": ["thing-0", "thing-1"]}
    assert [(a.number, a.status) for a in run.attempts] == [(1, "failed"), (2, "completed")]
    assert run.attempts[0].error is not None and run.attempts[0].error.name == "RuntimeError"
    messages = [e.body["message"] for e in store.events(run_id)]
    assert "used token ***" in messages
    assert not any("tok-123456" in m for m in messages)
    # And every attempt's workspace is gone
    assert not list(settings.workspace_root.iterdir())


async def test_last_failed_attempt_fails_the_run(
    pool: tuple[PoolClient, Executor], store: RunStore
) -> None:
    client, executor = pool
    run_id = await start(client, "debug:fail", {"failAttempts": 5})
    outcomes = [executor.run_attempt(run_id, n, "default") for n in (1, 2, 3)]
    assert outcomes == ["retrying", "retrying", "failed"]
    run = store.get(run_id)
    assert run.status == RunStatus.FAILED and run.attempt == 3
    assert run.error is not None and run.error.name == "RetryableActionError"
    completion = store.events(run_id)[-1]
    assert (
        completion.type == "completion"
        and completion.body["error"]["name"] == "RetryableActionError"
    )


async def test_non_retryable_error_fails_at_attempt_one(
    pool: tuple[PoolClient, Executor], store: RunStore, broker: Broker
) -> None:
    client, executor = pool
    run_id = await start(client, "debug:fail", {"mode": "nonRetryable"})
    assert executor.run_attempt(run_id, 1, "default") == "failed"
    assert store.get(run_id).attempt == 1
    assert broker.task_args() == [[run_id, 1]]


async def test_duplicate_delivery_does_not_run_twice(
    pool: tuple[PoolClient, Executor], store: RunStore
) -> None:
    client, executor = pool
    # Given a run whose attempt 1 completed
    run_id = await start(client, "debug:log", {"message": "once"})
    assert executor.run_attempt(run_id, 1, "default") == "completed"
    before = (store.get(run_id), store.events(run_id))
    # When the same message (or a stale later one) is delivered again
    outcomes = [
        executor.run_attempt(run_id, 1, "default"),
        executor.run_attempt(run_id, 2, "default"),
    ]
    # Then nothing runs: no new attempt, no new event
    assert outcomes == ["completed", "completed"]
    assert (store.get(run_id), store.events(run_id)) == before


async def test_action_missing_on_the_worker_fails_the_run_clearly(
    pool: tuple[PoolClient, Executor], store: RunStore, registry: Registry
) -> None:
    client, executor = pool
    # Given a run of an action this worker does not have
    run_id = await start(client, "test:checkpointed", {"steps": 1}, secrets={"token": "tok-123456"})
    executor.registry = Registry(a for a in registry if a.id != "test:checkpointed")
    # When its attempt is delivered here
    assert executor.run_attempt(run_id, 1, "default") == "failed"
    # Then the run fails with UnknownActionError instead of hanging in processing
    run = store.get(run_id)
    assert run.status == RunStatus.FAILED
    assert run.error is not None and run.error.name == "UnknownActionError"
    assert not store.redis.exists(store.keys.secrets(run_id))


async def test_lost_attempt_counts_toward_max_attempts(
    pool: tuple[PoolClient, Executor], store: RunStore, broker: Broker
) -> None:
    client, executor = pool
    # Given a run whose attempt 1 was claimed by a process that then died
    run_id = await start(client, "debug:log", {"message": "x"})
    store.claim(run_id, "default", Attempt(number=1, worker="w1", started_at=store.now()), "t")
    # When the main process records the loss
    outcome = executor.settle_lost(run_id, 1, WorkerLostError("killed"))
    # Then it is retried as attempt 2 (its message on the queue in the same step), and a
    # second report of the same loss changes nothing
    assert outcome == "retrying"
    assert broker.task_args() == [[run_id, 2], [run_id, 1]]
    assert executor.settle_lost(run_id, 1, WorkerLostError("killed")) == "stale"
    assert broker.task_args() == [[run_id, 2], [run_id, 1]]
    assert store.get(run_id).attempts[0].error.name == "WorkerLostError"  # type: ignore[union-attr]


async def test_secrets_stay_out_of_the_run_its_events_and_its_messages(
    pool: tuple[PoolClient, Executor], store: RunStore, broker: Broker, redis_url: str
) -> None:
    client, executor = pool
    # Given a run started with a secret
    run_id = await start(client, "debug:log", {"message": "x"}, secrets={"token": "abcd-secret"})
    raw = redis.Redis.from_url(redis_url, decode_responses=True)
    messages = json.dumps(broker.messages())
    # When it has run
    executor.run_attempt(run_id, 1, "default")
    # Then the secret is in none of the run hash, its attempts, its events or the messages
    stored = json.dumps(
        [raw.hgetall(store.keys.run(run_id)), raw.hgetall(store.keys.attempts(run_id))]
    )
    events = json.dumps([e.model_dump(mode="json") for e in store.events(run_id)])
    assert "abcd-secret" not in stored + events + messages
    # And the secrets themselves are gone once the run has ended
    assert not raw.exists(store.keys.secrets(run_id))
