"""Queue timeout and total deadline on the real Redis (Temporal's ScheduleToStart/ToClose)."""

from __future__ import annotations

import time
from collections.abc import Callable

from actions.registry import Registry
from worker.execution import Executor
from worker.records import RunStatus
from worker.recovery import Sweeper
from worker.store import RunStore


def test_a_run_left_on_its_queue_too_long_never_starts(
    store: RunStore, executor: Executor, registry: Registry, make_run: Callable[..., str]
) -> None:
    # Given an action whose runs may wait on the queue 0.3 s at most
    registry.apply_overrides({"debug:log": {"queue_timeout_s": 0.3}})
    run_id = make_run("debug:log", {"message": "x"})
    # When its message is picked up later than that
    time.sleep(0.5)
    outcome = executor.run_attempt(run_id, 1)
    # Then the run fails with QueueTimeoutError without an attempt
    assert outcome == "failed"
    run = store.get(run_id)
    assert (run.status, run.attempt, run.attempts) == (RunStatus.FAILED, 0, [])
    assert run.error is not None and run.error.name == "QueueTimeoutError"
    assert store.events(run_id)[-1].type == "completion"


def test_the_sweep_fails_queued_runs_no_worker_picks_up(
    store: RunStore, executor: Executor, registry: Registry, make_run: Callable[..., str]
) -> None:
    # Given a run with a queue timeout and no worker for its queue
    registry.apply_overrides({"debug:log": {"queue_timeout_s": 0.2}})
    run_id = make_run("debug:log", {"message": "x"})
    time.sleep(0.4)
    # When the recovery sweep runs
    outcomes = Sweeper(executor.leases, executor, interval_s=0.1).sweep_once()
    # Then it failed the run with QueueTimeoutError
    assert outcomes == {run_id: "failed"}
    assert store.get(run_id).error.name == "QueueTimeoutError"  # type: ignore[union-attr]


def test_no_retry_starts_after_the_deadline(
    store: RunStore, executor: Executor, registry: Registry, make_run: Callable[..., str]
) -> None:
    # Given a flaky action with a 1 s deadline and 2 s between attempts
    registry.apply_overrides(
        {"debug:fail": {"deadline_s": 1, "initial_delay_s": 2, "max_delay_s": 2, "jitter": False}}
    )
    run_id = make_run("debug:fail", {"failAttempts": 5})
    # When attempt 1 fails
    outcome = executor.run_attempt(run_id, 1)
    # Then the run fails at once: the next attempt would start after the deadline
    assert outcome == "failed"
    run = store.get(run_id)
    assert run.status == RunStatus.FAILED and run.attempt == 1
    assert "deadline" in store.events(run_id)[-1].body["message"]


def test_a_run_past_its_deadline_never_starts_another_attempt(
    store: RunStore, executor: Executor, registry: Registry, make_run: Callable[..., str]
) -> None:
    registry.apply_overrides({"debug:log": {"deadline_s": 0.2}})
    run_id = make_run("debug:log", {"message": "x"})
    time.sleep(0.4)
    assert executor.run_attempt(run_id, 1) == "failed"
    assert store.get(run_id).error.name == "DeadlineExceededError"  # type: ignore[union-attr]


def test_a_running_attempt_is_stopped_when_the_deadline_passes(
    store: RunStore, executor: Executor, registry: Registry, make_run: Callable[..., str]
) -> None:
    # Given a run with a 0.5 s deadline whose attempt would sleep 30 s
    registry.apply_overrides({"debug:sleep": {"deadline_s": 0.5}})
    run_id = make_run("debug:sleep", {"seconds": 30})
    started = time.monotonic()
    # When the attempt runs past the deadline
    outcome = executor.run_attempt(run_id, 1)
    # Then its heartbeat told it to stop, and the run failed with DeadlineExceededError
    assert outcome == "failed"
    assert time.monotonic() - started < 2
    assert store.get(run_id).error.name == "DeadlineExceededError"  # type: ignore[union-attr]
