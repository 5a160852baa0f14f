"""What a run shows of its secrets once an attempt settles: the action gets them as they are,
the run's output, completion event, log lines and error get them masked; a run whose secrets
no key opens fails at once, clearly, without running its action."""

from __future__ import annotations

import uuid

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from actionpool.actions.action import action
from actionpool.actions.context import ActionContext
from actionpool.actions.errors import NonRetryableActionError
from actionpool.actions.model import ActionModel
from actionpool.actions.redaction import MASK
from actionpool.actions.registry import Registry
from actionpool.worker.execution.dispatch import Dispatcher
from actionpool.worker.execution.executor import Executor, Timing
from actionpool.worker.settings import PoolSettings
from actionpool.worker.store.records import RunStatus
from actionpool.worker.store.store import RunStore
from tests.clock import ManualClock
from tests.integration.conftest import Broker, MakeRun

SECRET = f"s3cr3t-{uuid.uuid4()}"
SEEN: list[str] = []


class Empty(ActionModel):
    pass


class LeakyOutput(ActionModel):
    remote: str
    tokens: list[str]


@action("test:leaky-output", description="logs its secret and returns it")
def leaky_output(input: Empty, ctx: ActionContext) -> LeakyOutput:
    token = ctx.secrets["token"]
    SEEN.append(token)
    ctx.logger.info("pushing with %s", token)
    return LeakyOutput(remote=f"https://x:{token}@git.example.com/a.git", tokens=[token])


@action("test:leaky-failure", description="fails with its secret in the message")
def leaky_failure(input: Empty, ctx: ActionContext) -> Empty:
    SEEN.append(ctx.secrets["token"])
    raise NonRetryableActionError(f"push refused for token {ctx.secrets['token']}")


@pytest.fixture(autouse=True)
def leaky(registry: Registry) -> None:
    SEEN.clear()
    registry.register(leaky_output)
    registry.register(leaky_failure)


def test_the_output_and_the_completion_event_show_the_secret_masked(
    executor: Executor, store: RunStore, make_run: MakeRun
) -> None:
    # Given a run of an action that logs its secret and returns it in its output
    run_id = make_run("test:leaky-output", {}, secrets={"token": SECRET})
    # When its attempt completes
    assert executor.run_attempt(run_id, 1, "default") == "completed"
    # Then the action had the secret as it is
    assert SEEN == [SECRET]
    # And the run's output, its completion event and its log line show it masked
    expected = {"remote": f"https://x:{MASK}@git.example.com/a.git", "tokens": [MASK]}
    assert store.get(run_id).output == expected
    events = store.events(run_id)
    assert events[-1].type == "completion" and events[-1].body["output"] == expected
    assert f"pushing with {MASK}" in [e.body["message"] for e in events]
    assert SECRET not in repr(store.get(run_id)) + repr(events)


def test_an_error_with_the_secret_in_its_message_is_shown_masked(
    executor: Executor, store: RunStore, make_run: MakeRun
) -> None:
    run_id = make_run("test:leaky-failure", {}, secrets={"token": SECRET})
    assert executor.run_attempt(run_id, 1, "default") == "failed"
    run, events = store.get(run_id), store.events(run_id)
    assert run.error is not None and run.error.message == f"push refused for token {MASK}"
    assert run.attempts[0].error == run.error
    assert events[-1].body["error"] == run.error.model_dump()
    assert SECRET not in repr(run) + repr(events)


def test_a_run_whose_secrets_no_key_opens_fails_at_once_without_running(
    settings: PoolSettings,
    clock: ManualClock,
    registry: Registry,
    dispatcher: Dispatcher,
    make_run: MakeRun,
    broker: Broker,
) -> None:
    # Given a run created under the pool's key, and a worker that only has another key (the
    # pool's was dropped while the run could still execute)
    run_id = make_run("test:leaky-output", {}, secrets={"token": SECRET})
    other_key = [SecretStr(Fernet.generate_key().decode())]
    store = RunStore.from_settings(settings.model_copy(update={"secrets_keys": other_key}), clock)
    executor = Executor(
        store,
        registry,
        dispatcher,
        worker_name="w-new-key",
        workspace_root=settings.workspace_root,
        timing=Timing(heartbeat_interval_s=0.1),
    )
    # When its attempt is delivered to that worker
    outcome = executor.run_attempt(run_id, 1, "default")
    # Then the run fails for good, naming the cause, and the action never ran
    assert outcome == "failed" and SEEN == []
    run = store.get(run_id)
    assert run.status == RunStatus.FAILED and run.error is not None
    assert run.error.name == "SecretsUnreadableError"
    assert "ACTIONPOOL_SECRETS_KEYS" in run.error.message
    completion = store.events(run_id)[-1]
    assert "its secrets cannot be read" in completion.body["message"]
    # And no retry was put out, and its secrets are gone
    assert broker.task_args() == [[run_id, 1]]
    assert not store.redis.exists(store.keys.secrets(run_id))
    store.close()
