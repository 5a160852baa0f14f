"""Cancellation on the real Redis: before start, during an attempt, and of an ignoring action."""

from __future__ import annotations

import threading
import time

from actionpool.actions.action import action
from actionpool.actions.context import ActionContext
from actionpool.actions.model import ActionModel
from actionpool.actions.registry import Registry
from actionpool.worker.execution.executor import Executor
from actionpool.worker.store.records import RunStatus
from actionpool.worker.store.store import RunStore
from tests.integration.conftest import KILLS, MakeRun
from tests.waiting import wait_until


class Empty(ActionModel):
    pass


RELEASE = threading.Event()


@action("test:stubborn", description="ignores cancellation until the test releases it")
def stubborn(input: Empty, ctx: ActionContext) -> Empty:
    RELEASE.wait(30)
    return Empty()


def run_in_thread(executor: Executor, run_id: str) -> tuple[threading.Thread, list[str]]:
    outcome: list[str] = []
    thread = threading.Thread(
        target=lambda: outcome.append(executor.run_attempt(run_id, 1, "default"))
    )
    thread.start()
    return thread, outcome


def wait_until_processing(store: RunStore, run_id: str) -> None:
    wait_until(lambda: store.get(run_id).status == RunStatus.PROCESSING, what="the attempt")


def test_an_open_run_cancelled_never_starts(
    store: RunStore, executor: Executor, make_run: MakeRun
) -> None:
    # Given a run waiting on the queue
    run_id = make_run("debug:log", {"message": "x"}, secrets={"token": "abcd1234"})
    # When it is cancelled, twice
    assert store.cancel(run_id, "default") == "cancelled"
    assert store.cancel(run_id, "default") == "cancelled"
    # Then its message, when it comes, starts nothing, and the sweep never looks at it
    assert executor.run_attempt(run_id, 1, "default") == "cancelled"
    run = store.get(run_id)
    assert (run.status, run.attempt, run.attempts) == (RunStatus.CANCELLED, 0, [])
    assert [e.type for e in store.events(run_id)] == ["cancelled"]
    assert not store.redis.exists(store.keys.secrets(run_id))
    assert store.redis.zscore(store.keys.waiting("default"), run_id) is None


def test_a_processing_run_stops_when_cancelled(
    store: RunStore, executor: Executor, make_run: MakeRun
) -> None:
    # Given an attempt that would sleep an hour
    run_id = make_run("debug:sleep", {"seconds": 3600})
    thread, outcome = run_in_thread(executor, run_id)
    wait_until_processing(store, run_id)
    # When the run is cancelled
    assert store.cancel(run_id, "default") == "requested"
    thread.join(10)
    # Then the action sees it with the next heartbeat and the run ends cancelled
    assert outcome == ["cancelled"]
    run = store.get(run_id)
    assert run.status == RunStatus.CANCELLED and run.cancel_requested_at is not None
    assert store.events(run_id)[-1].type == "cancelled"


def test_an_attempt_ignoring_cancellation_is_killed_after_the_grace(
    store: RunStore, executor: Executor, registry: Registry, make_run: MakeRun
) -> None:
    # Given an action that ignores cancellation
    registry.register(stubborn)
    KILLS.clear()
    RELEASE.clear()
    run_id = make_run("test:stubborn", {})
    thread, _ = run_in_thread(executor, run_id)
    wait_until_processing(store, run_id)
    # When it is cancelled
    cancelled_at = time.monotonic()
    store.cancel(run_id, "default")
    # Then, once the grace period (0.5 s here) has passed, the kill is ordered (in a worker:
    # the child dies and Celery replaces it)
    wait_until(lambda: KILLS == [1], what="the grace kill")
    assert time.monotonic() - cancelled_at >= 0.5
    RELEASE.set()
    thread.join(10)


def test_a_finished_run_cannot_be_cancelled(
    store: RunStore, executor: Executor, make_run: MakeRun
) -> None:
    run_id = make_run("debug:log", {"message": "x"})
    executor.run_attempt(run_id, 1, "default")
    assert store.cancel(run_id, "default") == "completed"
    assert store.get(run_id).status == RunStatus.COMPLETED
