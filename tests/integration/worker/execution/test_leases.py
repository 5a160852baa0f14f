"""Leases and fencing on the real Redis: an attempt holds its run while it heartbeats, a lost
attempt is recovered, and an attempt that lost its run writes nothing and stops."""

from __future__ import annotations

import threading

import pytest

from actionpool.actions.action import action
from actionpool.actions.context import ActionContext
from actionpool.actions.errors import LeaseLostError, WorkerLostError
from actionpool.actions.model import ActionModel
from actionpool.actions.registry import Registry
from actionpool.worker.execution.checkpoints import RunCheckpoints
from actionpool.worker.execution.dispatch import Dispatcher
from actionpool.worker.execution.executor import Executor, Timing
from actionpool.worker.execution.sweep import Sweeper
from actionpool.worker.settings import PoolSettings
from actionpool.worker.store.records import Attempt, RunStatus
from actionpool.worker.store.store import RunStore
from tests.clock import ManualClock
from tests.integration.conftest import Broker, MakeRun
from tests.waiting import wait_until


def claim(store: RunStore, run_id: str, number: int) -> None:
    attempt = Attempt(number=number, worker="w-dead", started_at=store.now())
    assert store.claim(run_id, "default", attempt, f"t{number}").outcome == "claimed"


def expire_leases(store: RunStore, clock: ManualClock) -> None:
    """Time passes beyond a lease TTL without a heartbeat."""
    clock.advance(store.limits.lease_ttl_ms / 1000 + 1)


def test_settling_an_attempt_drops_its_lease(
    store: RunStore, executor: Executor, make_run: MakeRun
) -> None:
    # Given a run that a worker claimed
    run_id = make_run("debug:log", {"message": "x"})
    claim(store, run_id, 1)
    assert store.redis.hexists(store.keys.run(run_id), "leaseUntilMs")
    # When the attempt is recorded lost by its worker's main process
    assert executor.settle_lost(run_id, 1, WorkerLostError("x")) == "retrying"
    # Then the lease is gone, and so is the run's lease entry in the due set
    assert not store.redis.hexists(store.keys.run(run_id), "leaseUntilMs")
    assert store.redis.zscore(store.keys.due, run_id) is None


def test_a_replaced_attempt_can_neither_checkpoint_nor_settle(
    store: RunStore, clock: ManualClock, executor: Executor, make_run: MakeRun
) -> None:
    # Given attempt 1 lost its lease and attempt 2 now holds the run
    run_id = make_run("debug:log", {"message": "x"})
    claim(store, run_id, 1)
    expire_leases(store, clock)
    assert (
        Sweeper(executor.leases, executor, interval_s=5).recover(
            run_id, 1, WorkerLostError("lease expired")
        )
        == "retrying"
    )
    claim(store, run_id, 2)
    # When the old attempt (a paused zombie) writes a checkpoint, or tries to settle the run
    told_to_stop: list[int] = []
    zombie = RunCheckpoints(store, run_id, 1, on_fenced=lambda: told_to_stop.append(1))
    # Then both are refused (the zombie is told to stop) and attempt 2's state is untouched
    with pytest.raises(LeaseLostError):
        zombie.save("create-repo", '"zombie"')
    assert told_to_stop == [1]
    assert RunCheckpoints(store, run_id, 2).load("create-repo") is None
    RunCheckpoints(store, run_id, 2).save("create-repo", '"live"')
    assert RunCheckpoints(store, run_id, 2).load("create-repo") == '"live"'
    assert executor.settle_lost(run_id, 1, WorkerLostError("late")) == "stale"
    assert store.get(run_id).status == RunStatus.PROCESSING


def test_an_attempt_that_lost_its_lease_is_retried_not_failed(
    store: RunStore, clock: ManualClock, executor: Executor, make_run: MakeRun
) -> None:
    # Given an attempt that would sleep an hour (it stops when told to)
    run_id = make_run("debug:sleep", {"seconds": 3600})
    outcome: list[str] = []
    thread = threading.Thread(
        target=lambda: outcome.append(executor.run_attempt(run_id, 1, "default"))
    )
    thread.start()
    wait_until(lambda: store.get(run_id).status == RunStatus.PROCESSING, what="the attempt")
    # When its lease runs out (a stall: no heartbeat got through for a lease TTL)
    expire_leases(store, clock)
    thread.join(10)
    # Then the attempt stops and the run is retried: a lost lease is no cancellation
    assert outcome == ["retrying"]
    run = store.get(run_id)
    assert run.status == RunStatus.OPEN
    assert run.attempts[0].error is not None and run.attempts[0].error.name == "LeaseLostError"


class Lines(ActionModel):
    pass


RESUME = threading.Event()
LOGGED_AFTER_RESUME = threading.Event()


@action("test:zombie", description="logs, pauses until the test resumes it, then logs on")
def zombie(input: Lines, ctx: ActionContext) -> Lines:
    ctx.logger.info("before the pause")
    RESUME.wait(30)
    for n in range(1000):
        ctx.logger.info("after the pause %d", n)
        LOGGED_AFTER_RESUME.set()
        if ctx.cancelled.wait(0.01):
            return Lines()
    return Lines()


def test_a_resumed_zombie_writes_nothing_and_is_told_to_stop_by_its_first_refused_write(
    settings: PoolSettings,
    store: RunStore,
    clock: ManualClock,
    registry: Registry,
    dispatcher: Dispatcher,
    make_run: MakeRun,
) -> None:
    # Given an attempt whose heartbeat is far apart (only a refused write can stop it soon)
    registry.register(zombie)
    slow_beats = Executor(
        store,
        registry,
        dispatcher,
        worker_name="w-zombie",
        workspace_root=settings.workspace_root,
        timing=Timing(heartbeat_interval_s=3600, cancel_grace_s=3600),
    )
    RESUME.clear()
    LOGGED_AFTER_RESUME.clear()
    run_id = make_run("test:zombie", {})
    outcome: list[str] = []
    thread = threading.Thread(
        target=lambda: outcome.append(slow_beats.run_attempt(run_id, 1, "default"))
    )
    thread.start()
    wait_until(lambda: len(store.events(run_id)) == 2, what="the line before the pause")
    # ...that pauses past its lease, is recovered, and attempt 2 takes the run
    expire_leases(store, clock)
    sweeper = Sweeper(slow_beats.leases, slow_beats, interval_s=5)
    assert sweeper.recover(run_id, 1, WorkerLostError("lease expired")) == "retrying"
    claim(store, run_id, 2)
    before = [e.id for e in store.events(run_id)]
    # When the zombie resumes and writes
    RESUME.set()
    thread.join(10)
    # Then none of its lines reached the run, it stopped at its first refused line, and its
    # end changed nothing
    assert LOGGED_AFTER_RESUME.is_set()
    assert [e.id for e in store.events(run_id)] == before
    assert outcome == ["stale"]
    run = store.get(run_id)
    assert (run.status, run.attempt) == (RunStatus.PROCESSING, 2)


def test_the_sweep_never_takes_a_live_or_newer_attempt_for_the_lost_one(
    store: RunStore, clock: ManualClock, executor: Executor, make_run: MakeRun, broker: Broker
) -> None:
    # Given a run whose attempt 1 is alive (its lease runs)
    run_id = make_run("debug:log", {"message": "x"})
    claim(store, run_id, 1)
    # When the sweep's recovery comes anyway (it read the run before a heartbeat)
    sweeper = Sweeper(executor.leases, executor, interval_s=5)
    assert sweeper.recover(run_id, 1, WorkerLostError("lease expired")) == "alive"
    # And once attempt 1 was settled and attempt 2 holds the run
    executor.settle_lost(run_id, 1, WorkerLostError("child died"))
    claim(store, run_id, 2)
    expire_leases(store, clock)
    assert sweeper.recover(run_id, 1, WorkerLostError("lease expired")) == "stale"
    # Then attempt 2 keeps the run, and only one message of attempt 2 went out
    assert store.get(run_id).status == RunStatus.PROCESSING
    assert store.get(run_id).attempt == 2
    assert broker.task_args() == [[run_id, 2], [run_id, 1]]
