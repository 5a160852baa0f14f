"""The recovery sweep on the real Redis: it recovers runs whose worker died, fails runs past
their limits and puts lost messages on their queue again, reading only what is due."""

from __future__ import annotations

import pytest

from actionpool.actions.errors import WorkerLostError
from actionpool.worker.clock import ms
from actionpool.worker.execution.executor import Executor
from actionpool.worker.execution.sweep import Sweeper
from actionpool.worker.store.records import Attempt, RunStatus
from actionpool.worker.store.store import RunStore
from tests.clock import ManualClock
from tests.integration.conftest import Broker, MakeRun

REDISPATCH_AFTER_S = 60.0


@pytest.fixture
def sweeper(executor: Executor) -> Sweeper:
    return Sweeper(executor.leases, executor, interval_s=5, redispatch_after_s=REDISPATCH_AFTER_S)


def next_turn(store: RunStore) -> None:
    """The next sweep interval: the lock of the last sweep has run out."""
    store.redis.delete(store.keys.sweep_lock)


def claim(store: RunStore, run_id: str, number: int) -> None:
    attempt = Attempt(number=number, worker="w-dead", started_at=store.now())
    assert store.claim(run_id, "default", attempt, f"t{number}").outcome == "claimed"


def lease_ttl_s(store: RunStore) -> float:
    return store.limits.lease_ttl_ms / 1000


def test_sweep_recovers_a_run_whose_worker_died_once(
    store: RunStore, clock: ManualClock, sweeper: Sweeper, make_run: MakeRun, broker: Broker
) -> None:
    # Given a run whose attempt 1 was claimed by a worker that then died (no heartbeats)
    run_id = make_run("debug:log", {"message": "x"})
    broker.drop()  # the worker had taken attempt 1's message
    claim(store, run_id, 1)
    # When the sweep runs before the lease expires, nothing happens
    assert sweeper.sweep_once() == {}
    # When it runs after the lease expired
    clock.advance(lease_ttl_s(store) + 1)
    next_turn(store)
    outcomes = sweeper.sweep_once()
    # Then the attempt is recorded lost and attempt 2 is on the queue
    assert outcomes == {run_id: "retrying"}
    run = store.get(run_id)
    assert run.status == RunStatus.OPEN
    assert run.attempts[0].error is not None and run.attempts[0].error.name == "WorkerLostError"
    assert broker.task_args() == [[run_id, 2]]
    # And a second sweep, in its own turn, recovers nothing more: one recovered lease, one
    # message of attempt 2
    next_turn(store)
    assert sweeper.sweep_once() == {}
    recovered = store.redis.hget(store.keys.metrics, "leases_recovered\tdebug:log")
    assert recovered is not None and float(recovered) == 1
    assert broker.task_args() == [[run_id, 2]]


def test_one_worker_sweeps_per_interval(store: RunStore, executor: Executor) -> None:
    first = Sweeper(executor.leases, executor, interval_s=5)
    second_executor_leases = type(executor.leases)(store)
    second = Sweeper(second_executor_leases, executor, interval_s=5)
    assert first.leases.take_sweep_turn(5)
    assert second.sweep_once() == {}


def test_sweep_puts_again_on_its_queue_a_run_whose_message_was_lost(
    store: RunStore,
    clock: ManualClock,
    sweeper: Sweeper,
    executor: Executor,
    make_run: MakeRun,
    broker: Broker,
) -> None:
    # Given a run whose message was lost inside the broker (taken off the queue by a worker
    # that died before it recorded the delivery)
    run_id = make_run("debug:log", {"message": "x"})
    assert broker.drop() == 1
    # When the sweep runs before the redispatch wait, nothing happens
    assert sweeper.sweep_once() == {}
    # When it runs after it
    clock.advance(REDISPATCH_AFTER_S + 1)
    next_turn(store)
    # Then attempt 1 is on the queue again, and the run completes once it is delivered
    assert sweeper.sweep_once() == {run_id: "redispatched"}
    assert broker.task_args() == [[run_id, 1]]
    assert executor.run_attempt(run_id, 1, "default") == "completed"
    redispatched = store.redis.hget(store.keys.metrics, "runs_redispatched\tdebug:log\t\t")
    assert redispatched is not None and float(redispatched) == 1


def test_a_run_waiting_behind_a_backlog_is_not_taken_for_lost(
    store: RunStore, clock: ManualClock, sweeper: Sweeper, make_run: MakeRun, broker: Broker
) -> None:
    # Given runs whose messages wait on the queue, no worker taking them, for an hour
    run_ids = [make_run("debug:log", {"message": str(n)}) for n in range(20)]
    clock.advance(3600)
    next_turn(store)
    # When the sweep runs
    outcomes = sweeper.sweep_once()
    # Then it puts no copy out: their messages are still on the queue
    assert outcomes == {}
    assert len(broker.task_args()) == len(run_ids)


def test_a_lost_message_behind_a_moving_queue_is_found(
    store: RunStore,
    clock: ManualClock,
    sweeper: Sweeper,
    make_run: MakeRun,
    broker: Broker,
) -> None:
    # Given a run whose message was lost, and later runs whose messages still wait
    lost = make_run("debug:log", {"message": "lost"})
    broker.drop()
    clock.advance(REDISPATCH_AFTER_S + 1)
    waiting = [make_run("debug:log", {"message": str(n)}) for n in range(3)]
    next_turn(store)
    # When the sweep runs
    outcomes = sweeper.sweep_once()
    # Then only the lost one is put on the queue again
    assert outcomes == {lost: "redispatched"}
    assert sorted(args[0] for args in broker.task_args()) == sorted([lost, *waiting])


def test_a_sweep_pass_looks_at_a_batch_and_the_next_pass_goes_on(
    store: RunStore, clock: ManualClock, executor: Executor, make_run: MakeRun, broker: Broker
) -> None:
    # Given more dead workers' runs than one pass looks at (2 here)
    sweeper = Sweeper(executor.leases, executor, interval_s=5, batch=2)
    run_ids = [make_run("debug:log", {"message": str(n)}) for n in range(5)]
    broker.drop()
    for run_id in run_ids:
        claim(store, run_id, 1)
    clock.advance(lease_ttl_s(store) + 1)
    # When the sweep runs pass after pass
    recovered: dict[str, str] = {}
    for _ in range(3):
        next_turn(store)
        recovered.update(sweeper.sweep_once())
    # Then it recovered all of them, two at a time
    assert recovered == dict.fromkeys(run_ids, "retrying")


def test_a_stale_due_entry_is_put_back_at_its_true_time(
    store: RunStore, clock: ManualClock, sweeper: Sweeper, make_run: MakeRun
) -> None:
    # Given a processing run whose due entry is older than its lease (a lost update)
    run_id = make_run("debug:log", {"message": "x"})
    claim(store, run_id, 1)
    lease_until = int(store.redis.hget(store.keys.run(run_id), "leaseUntilMs") or 0)
    store.redis.zadd(store.keys.due, {run_id: lease_until - 5000})
    clock.advance(lease_ttl_s(store) - 1)  # the stale entry is due, the lease is not
    # When the sweep meets it
    assert sweeper.sweep_once() == {}
    # Then the run keeps its attempt, and its entry is back at its lease's expiry
    assert store.get(run_id).status == RunStatus.PROCESSING
    assert store.redis.zscore(store.keys.due, run_id) == lease_until


def test_a_recovery_that_fails_does_not_stop_the_sweep(
    store: RunStore, clock: ManualClock, executor: Executor, make_run: MakeRun, broker: Broker
) -> None:
    # Given two dead workers' runs, one of an action this worker does not have
    good, bad = (make_run("debug:log", {"message": str(n)}) for n in range(2))
    broker.drop()
    for run_id in (good, bad):
        claim(store, run_id, 1)
    store.redis.hset(store.keys.run(bad), "actionId", "nowhere:missing")
    clock.advance(lease_ttl_s(store) + 1)
    # When the sweep runs
    outcomes = Sweeper(executor.leases, executor, interval_s=5).sweep_once()
    # Then the other run was recovered, and the failure is reported for its run
    assert outcomes == {good: "retrying", bad: "error"}
    assert executor.settle_lost(good, 1, WorkerLostError("x")) == "stale"
    # And the failed one waits a sweep interval before it is tried again, so that such runs
    # never hold the head of the due set for every later pass
    assert store.redis.zscore(store.keys.due, bad) == ms(store.now()) + 5000
    next_turn(store)
    assert Sweeper(executor.leases, executor, interval_s=5).sweep_once() == {}
