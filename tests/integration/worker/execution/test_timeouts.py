"""Queue timeout and total deadline on the real Redis (Temporal's ScheduleToStart/ToClose),
with a clock the tests move instead of sleeping."""

from __future__ import annotations

from actionpool.actions.registry import Registry
from actionpool.worker.execution.executor import Executor
from actionpool.worker.execution.sweep import Sweeper
from actionpool.worker.store.records import RunStatus
from actionpool.worker.store.store import RunStore
from tests.clock import ManualClock
from tests.integration.conftest import MakeRun


def test_a_run_left_on_its_queue_too_long_never_starts(
    store: RunStore, clock: ManualClock, executor: Executor, registry: Registry, make_run: MakeRun
) -> None:
    # Given an action whose runs may wait on the queue 30 s at most
    registry.apply_overrides({"debug:log": {"queue_timeout_s": 30}})
    run_id = make_run("debug:log", {"message": "x"})
    # When its message is picked up later than that
    clock.advance(31)
    outcome = executor.run_attempt(run_id, 1, "default")
    # Then the run fails with QueueTimeoutError without an attempt
    assert outcome == "failed"
    run = store.get(run_id)
    assert (run.status, run.attempt, run.attempts) == (RunStatus.FAILED, 0, [])
    assert run.error is not None and run.error.name == "QueueTimeoutError"
    assert store.events(run_id)[-1].type == "completion"


def test_the_sweep_fails_queued_runs_no_worker_picks_up(
    store: RunStore, clock: ManualClock, executor: Executor, registry: Registry, make_run: MakeRun
) -> None:
    # Given a run with a queue timeout and no worker for its queue
    registry.apply_overrides({"debug:log": {"queue_timeout_s": 30}})
    run_id = make_run("debug:log", {"message": "x"})
    sweeper = Sweeper(executor.leases, executor, interval_s=5)
    # When the sweep runs before the timeout, nothing is due
    assert sweeper.sweep_once() == {}
    # When it runs after the timeout
    clock.advance(31)
    store.redis.delete(store.keys.sweep_lock)  # the next interval
    outcomes = sweeper.sweep_once()
    # Then it failed the run with QueueTimeoutError, and the run is due no more
    assert outcomes == {run_id: "failed"}
    assert store.get(run_id).error.name == "QueueTimeoutError"  # type: ignore[union-attr]
    assert store.redis.zscore(store.keys.due, run_id) is None


def test_no_retry_starts_after_the_deadline(
    store: RunStore, executor: Executor, registry: Registry, make_run: MakeRun
) -> None:
    # Given a flaky action with a 1 s deadline and 2 s between attempts
    registry.apply_overrides(
        {"debug:fail": {"deadline_s": 1, "initial_delay_s": 2, "max_delay_s": 2, "jitter": False}}
    )
    run_id = make_run("debug:fail", {"failAttempts": 5})
    # When attempt 1 fails
    outcome = executor.run_attempt(run_id, 1, "default")
    # Then the run fails at once: the next attempt would start after the deadline
    assert outcome == "failed"
    run = store.get(run_id)
    assert run.status == RunStatus.FAILED and run.attempt == 1
    assert "deadline" in store.events(run_id)[-1].body["message"]


def test_a_run_past_its_deadline_never_starts_another_attempt(
    store: RunStore, clock: ManualClock, executor: Executor, registry: Registry, make_run: MakeRun
) -> None:
    registry.apply_overrides({"debug:log": {"deadline_s": 60}})
    run_id = make_run("debug:log", {"message": "x"})
    clock.advance(61)
    assert executor.run_attempt(run_id, 1, "default") == "failed"
    assert store.get(run_id).error.name == "DeadlineExceededError"  # type: ignore[union-attr]


def test_a_running_attempt_is_stopped_when_the_deadline_passes(
    store: RunStore, executor: Executor, registry: Registry, make_run: MakeRun
) -> None:
    # Given a run with a 0.5 s deadline whose attempt would sleep an hour (far past the
    # test's timeout: only the deadline can end it in time)
    registry.apply_overrides({"debug:sleep": {"deadline_s": 0.5}})
    run_id = make_run("debug:sleep", {"seconds": 3600})
    # When the attempt runs past the deadline
    outcome = executor.run_attempt(run_id, 1, "default")
    # Then its heartbeat told it to stop, and the run failed with DeadlineExceededError
    assert outcome == "failed"
    assert store.get(run_id).error.name == "DeadlineExceededError"  # type: ignore[union-attr]
