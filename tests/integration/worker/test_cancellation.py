"""Cancellation on the real Redis: before start, during an attempt, and of an ignoring action."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from actions.action import action
from actions.context import ActionContext
from actions.model import ActionModel
from actions.registry import Registry
from tests.integration.conftest import KILLS
from worker.execution import Executor
from worker.records import RunStatus
from worker.store import RunStore


class Empty(ActionModel):
    pass


@action("test:stubborn", description="ignores cancellation for up to 2 s")
def stubborn(input: Empty, ctx: ActionContext) -> Empty:
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        time.sleep(0.05)
    return Empty()


def run_in_thread(executor: Executor, run_id: str) -> tuple[threading.Thread, list[str]]:
    outcome: list[str] = []
    thread = threading.Thread(target=lambda: outcome.append(executor.run_attempt(run_id, 1)))
    thread.start()
    return thread, outcome


def test_an_open_run_cancelled_never_starts(
    store: RunStore, executor: Executor, make_run: Callable[..., str]
) -> None:
    # Given a run waiting on the queue
    run_id = make_run("debug:log", {"message": "x"}, secrets={"token": "abcd1234"})
    # When it is cancelled, twice
    assert store.cancel(run_id) == "cancelled"
    assert store.cancel(run_id) == "cancelled"
    # Then its message, when it comes, starts nothing
    assert executor.run_attempt(run_id, 1) == "cancelled"
    run = store.get(run_id)
    assert (run.status, run.attempt, run.attempts) == (RunStatus.CANCELLED, 0, [])
    assert [e.type for e in store.events(run_id)] == ["cancelled"]
    assert store.secrets(run_id) == {}


def test_a_processing_run_stops_when_cancelled(
    store: RunStore, executor: Executor, make_run: Callable[..., str]
) -> None:
    # Given an attempt sleeping for 30 s
    run_id = make_run("debug:sleep", {"seconds": 30})
    thread, outcome = run_in_thread(executor, run_id)
    time.sleep(0.3)
    # When the run is cancelled
    started = time.monotonic()
    assert store.cancel(run_id) == "requested"
    thread.join(5)
    # Then the action sees it with the next heartbeat and the run ends cancelled
    assert outcome == ["cancelled"]
    assert time.monotonic() - started < 1.5
    run = store.get(run_id)
    assert run.status == RunStatus.CANCELLED and run.cancel_requested_at is not None
    assert store.events(run_id)[-1].type == "cancelled"


def test_an_attempt_ignoring_cancellation_is_killed_after_the_grace(
    store: RunStore, executor: Executor, registry: Registry, make_run: Callable[..., str]
) -> None:
    # Given an action that ignores cancellation
    registry.register(stubborn)
    KILLS.clear()
    run_id = make_run("test:stubborn", {})
    thread, _ = run_in_thread(executor, run_id)
    time.sleep(0.3)
    # When it is cancelled and the grace period (0.5 s here) passes
    store.cancel(run_id)
    time.sleep(1.2)
    # Then the kill was ordered (in a worker: the child dies and Celery replaces it)
    assert KILLS == [1]
    thread.join(10)


def test_a_finished_run_cannot_be_cancelled(
    store: RunStore, executor: Executor, make_run: Callable[..., str]
) -> None:
    run_id = make_run("debug:log", {"message": "x"})
    executor.run_attempt(run_id, 1)
    assert store.cancel(run_id) == "completed"
    assert store.get(run_id).status == RunStatus.COMPLETED
