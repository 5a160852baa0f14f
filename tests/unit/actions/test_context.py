import contextlib
import dataclasses
import threading
import time
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from actionpool.actions.errors import ActionCancelledError
from tests.unit.actions.helpers import make_context


def test_checkpoint_runs_its_function_once_per_key(tmp_path: Path) -> None:
    # Given an attempt that created a repository inside a checkpoint
    ctx, _ = make_context(tmp_path, attempt=1)
    calls: list[int] = []

    def create() -> dict[str, str]:
        calls.append(1)
        return {"url": "https://git/x"}

    first = ctx.checkpoint("create-repo.v1", create)
    # When a later attempt of the same run reaches the same checkpoint
    retry = dataclasses.replace(ctx, attempt=2)
    second = retry.checkpoint("create-repo.v1", create)
    # Then the function ran once and both attempts see the same value
    assert calls == [1]
    assert first == second == {"url": "https://git/x"}


def test_failed_checkpoint_function_runs_again(tmp_path: Path) -> None:
    ctx, _ = make_context(tmp_path)
    attempts: list[int] = []

    def flaky() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("transient")
        return 7

    with contextlib.suppress(RuntimeError):
        ctx.checkpoint("k", flaky)
    assert ctx.checkpoint("k", flaky) == 7
    assert len(attempts) == 2


def test_sleep_returns_early_when_cancelled(tmp_path: Path) -> None:
    ctx, _ = make_context(tmp_path)
    ctx.cancelled.set()
    assert ctx.sleep(30) is True


def test_workspace_is_created_only_when_used(tmp_path: Path) -> None:
    # Given an attempt's context
    ctx, _ = make_context(tmp_path)
    # Then its workspace does not exist until the action asks for it
    assert not ctx.workspace_dir.exists()
    (ctx.workspace / "file").write_text("x")
    assert ctx.workspace_dir.is_dir()


def test_retrying_retries_the_chosen_errors(tmp_path: Path) -> None:
    # Given a sub-operation that fails twice with a transient error
    ctx, _ = make_context(tmp_path)
    calls: list[int] = []

    def push() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("reset")
        return "pushed"

    # When it runs under ctx.retrying
    for attempt in ctx.retrying(initial_delay_s=0.01, retry_on=(ConnectionError,)):
        with attempt:
            result = push()
    # Then it succeeded on the third call
    assert (result, len(calls)) == ("pushed", 3)


def test_retrying_lets_other_errors_through_at_once(tmp_path: Path) -> None:
    ctx, _ = make_context(tmp_path)
    with pytest.raises(ValueError):
        for attempt in ctx.retrying(initial_delay_s=0.01, retry_on=(ConnectionError,)):
            with attempt:
                raise ValueError("bad input")


def test_retrying_starts_no_retry_too_close_to_the_soft_time_limit(tmp_path: Path) -> None:
    # Given an attempt whose soft time limit fires in 0.5 s (retries stop 1 s before it)
    ctx, _ = make_context(tmp_path, soft_deadline=time.monotonic() + 0.5)
    tries = 0
    # When a sub-operation fails
    with pytest.raises(ConnectionError):
        for attempt in ctx.retrying(max_attempts=100, initial_delay_s=0.2, max_delay_s=0.2):
            with attempt:
                tries += 1
                raise ConnectionError("down")
    # Then it is not tried again: there is no time left to clean up after one more try
    assert tries == 1


def test_retrying_tries_again_while_there_is_time(tmp_path: Path) -> None:
    ctx, _ = make_context(tmp_path, soft_deadline=time.monotonic() + 3600)
    tries = 0
    with pytest.raises(ConnectionError):
        for attempt in ctx.retrying(max_attempts=3, initial_delay_s=0.01, max_delay_s=0.01):
            with attempt:
                tries += 1
                raise ConnectionError("down")
    assert tries == 3


def test_retrying_stops_when_the_run_is_cancelled(tmp_path: Path) -> None:
    ctx, _ = make_context(tmp_path)
    threading.Timer(0.1, ctx.cancelled.set).start()
    with pytest.raises(ActionCancelledError):
        for attempt in ctx.retrying(max_attempts=100, initial_delay_s=5, max_delay_s=5):
            with attempt:
                raise ConnectionError("down")


def test_an_error_in_a_span_is_recorded_with_secrets_masked(tmp_path: Path) -> None:
    # Given a context whose spans go to memory, with a secret
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    ctx, _ = make_context(
        tmp_path, secrets={"token": "s3cr3t-token"}, tracer=provider.get_tracer("t")
    )
    # When a sub-operation fails with the secret in its message
    with pytest.raises(RuntimeError), ctx.span("git push", **{"vcs.repository.name": "svc"}):
        raise RuntimeError("auth failed for s3cr3t-token")
    ctx.checkpoint("made", lambda: 1)
    ctx.checkpoint("made", lambda: 2)
    # Then the span is an error with the message masked, and checkpoints are spans too
    push, first, replayed = exporter.get_finished_spans()
    assert push.status.status_code == StatusCode.ERROR
    assert push.status.description == "auth failed for ***"
    assert "s3cr3t" not in repr(push.events[0].attributes)
    assert push.attributes and push.attributes["vcs.repository.name"] == "svc"
    assert first.name == "checkpoint made" and first.attributes
    assert (
        first.attributes["actionpool.checkpoint.replayed"],
        replayed.attributes["actionpool.checkpoint.replayed"],
    ) == (False, True)  # type: ignore[index]
