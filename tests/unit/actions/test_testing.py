"""`ActionHarness`: an action's own tests run it as the pool would, without Celery or Redis."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import Field, ValidationError

from actionpool.actions.action import RetryPolicy, action
from actionpool.actions.context import ActionContext
from actionpool.actions.errors import (
    DryRunNotSupportedError,
    NonRetryableActionError,
    RetryableActionError,
)
from actionpool.actions.model import ActionModel
from actionpool.actions.testing import ActionHarness, SimulatedCrash

SIDE_EFFECTS: list[str] = []


class GreetInput(ActionModel):
    name: str = Field(min_length=1, description="Who to greet")
    fail_attempts: int = Field(default=0, description="Attempts that fail first")


class GreetOutput(ActionModel):
    greeting: str
    workspace_file: str


@action(
    "test:greet",
    description="Greets, once per run, after writing a file in its workspace.",
    retry=RetryPolicy(max_attempts=3, initial_delay_s=0),
)
def greet(input: GreetInput, ctx: ActionContext) -> GreetOutput:
    written = ctx.workspace / "greeting.txt"
    written.write_text(input.name)
    ctx.logger.info("greeting %s with %s", input.name, ctx.secrets.get("token"))
    if ctx.attempt <= input.fail_attempts:
        raise RetryableActionError(f"attempt {ctx.attempt} fails")
    sent = ctx.checkpoint("send.v1", lambda: _send(f"Hello, {input.name}"))
    return GreetOutput(greeting=f"{sent} {ctx.secrets.get('token')}", workspace_file=str(written))


def _send(text: str) -> str:
    SIDE_EFFECTS.append(text)
    return text


@pytest.fixture(autouse=True)
def _no_side_effects() -> None:
    SIDE_EFFECTS.clear()


def test_a_run_gives_masked_output_and_log_lines(tmp_path: Path) -> None:
    # Given a harness with a secret
    harness = ActionHarness(greet, workspace_root=tmp_path, secrets={"token": "s3cr3t-value"})
    # When the action runs
    output = harness.run({"name": "Ada"})
    # Then the output and the log lines have the secret masked, as the pool shows them
    assert output["greeting"] == "Hello, Ada ***"
    assert harness.messages("info") == ["greeting Ada with ***"]
    # And the attempt's workspace was removed afterwards
    assert not Path(output["workspaceFile"]).exists()


def test_a_crash_after_a_checkpoint_is_resumed_without_repeating_the_work(
    tmp_path: Path,
) -> None:
    # Given an attempt that dies right after its checkpoint is stored
    harness = ActionHarness(greet, workspace_root=tmp_path)
    with pytest.raises(SimulatedCrash):
        harness.run({"name": "Ada"}, crash_after="send.v1")
    # When the next attempt runs
    output = harness.run({"name": "Ada"})
    # Then it got the checkpoint's value and the side effect happened once
    assert output["greeting"].startswith("Hello, Ada")
    assert SIDE_EFFECTS == ["Hello, Ada"]
    assert harness.attempts == 2


def test_run_to_end_retries_as_the_policy_allows(tmp_path: Path) -> None:
    # Given an action that fails its first two attempts and may take three
    harness = ActionHarness(greet, workspace_root=tmp_path)
    # When it is run to its end
    harness.run_to_end({"name": "Ada", "failAttempts": 2})
    # Then the third attempt succeeded
    assert harness.attempts == 3
    assert [line.attempt for line in harness.logs] == [1, 2, 3]


def test_run_to_end_raises_once_the_attempts_are_used_up(tmp_path: Path) -> None:
    harness = ActionHarness(greet, workspace_root=tmp_path)
    with pytest.raises(RetryableActionError, match="attempt 3 fails"):
        harness.run_to_end({"name": "Ada", "failAttempts": 5})
    assert harness.attempts == 3


def test_input_the_pool_would_refuse_is_refused(tmp_path: Path) -> None:
    harness = ActionHarness(greet, workspace_root=tmp_path)
    # validate: what the API answers with a 422
    with pytest.raises(ValidationError, match="name"):
        harness.validate({"name": ""})
    # run: what an attempt given such input records
    with pytest.raises(NonRetryableActionError, match="input does not match"):
        harness.run({"nom": "Ada"})
    assert SIDE_EFFECTS == []


def test_cancel_is_seen_by_the_action(tmp_path: Path) -> None:
    harness = ActionHarness(greet, workspace_root=tmp_path)
    harness.cancel()
    assert harness.context().sleep(30) is True  # returns at once: the run is cancelled


def test_run_to_end_retries_any_error_the_pool_would_and_stops_at_a_final_one(
    tmp_path: Path,
) -> None:
    # Given an action whose first attempt fails with a plain exception (the pool retries it)
    @action("test:flaky", description="Fails once with a plain error, then succeeds.")
    def flaky(input: GreetInput, ctx: ActionContext) -> GreetOutput:
        if ctx.attempt == 1:
            raise ConnectionError("the service went away")
        return GreetOutput(greeting="ok", workspace_file="")

    harness = ActionHarness(flaky, workspace_root=tmp_path)
    # Then run_to_end tries again, as the pool would
    assert harness.run_to_end({"name": "Ada"})["greeting"] == "ok"
    assert harness.attempts == 2
    # And a non-retryable error ends it at once
    permanent = ActionHarness(greet, workspace_root=tmp_path)
    with pytest.raises(NonRetryableActionError):
        permanent.run_to_end({"nom": "Ada"})
    assert permanent.attempts == 1


def test_a_dry_run_of_an_action_without_one_is_refused(tmp_path: Path) -> None:
    harness = ActionHarness(greet, workspace_root=tmp_path)
    with pytest.raises(DryRunNotSupportedError):
        harness.run({"name": "Ada"}, dry_run=True)
    assert harness.attempts == 0
