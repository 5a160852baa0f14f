"""Leases, fencing and the recovery sweep on the real Redis."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

import pytest

from actions.errors import LeaseLostError, WorkerLostError
from actions.registry import Registry
from tests.integration.conftest import Broker
from worker.checkpoints import RunCheckpoints
from worker.execution import Executor
from worker.leases import Leases
from worker.records import Attempt, Run, RunStatus, now
from worker.recovery import Sweeper
from worker.store import RunStore


def attempt(number: int) -> Attempt:
    return Attempt(number=number, worker="w-dead", started_at=now())


def test_claim_takes_the_lease_and_settling_drops_it(
    store: RunStore, executor: Executor, make_run: Callable[..., str]
) -> None:
    # Given a run that a worker claimed
    run_id = make_run("debug:log", {"message": "x"})
    store.claim(run_id, attempt(1))
    # Then its lease names attempt 1 and expires unless renewed
    assert store.redis.get(store.keys.lease(run_id)) == "1"
    assert 0 < store.redis.pttl(store.keys.lease(run_id)) <= store.lease_ttl_ms
    # When the attempt is settled
    executor.settle_lost(run_id, 1, WorkerLostError("x"))
    # Then the lease is gone
    assert not store.redis.exists(store.keys.lease(run_id))


def test_renewal_extends_only_the_holders_lease(
    store: RunStore, make_run: Callable[..., str]
) -> None:
    leases = Leases(store)
    run_id = make_run("debug:log", {"message": "x"})
    store.claim(run_id, attempt(1))
    store.redis.pexpire(store.keys.lease(run_id), 1000)
    # When attempt 1 heartbeats, its lease is back to the full TTL and the time is recorded
    assert leases.renew(run_id, 1).held
    assert store.redis.pttl(store.keys.lease(run_id)) > 1000
    assert store.get(run_id).last_heartbeat_at is not None
    # And a stale attempt's heartbeat neither holds nor extends it
    assert not leases.renew(run_id, 0).held


def test_sweep_recovers_a_run_whose_worker_died(
    store: RunStore, executor: Executor, make_run: Callable[..., str], broker: Broker
) -> None:
    # Given a run whose attempt 1 was claimed by a worker that then died (no heartbeats)
    store.lease_ttl_ms = 200
    run_id = make_run("debug:log", {"message": "x"})
    store.claim(run_id, attempt(1))
    sweeper = Sweeper(executor.leases, executor, interval_s=0.1)
    # When the sweep runs before the lease expires, nothing happens
    assert sweeper.sweep_once() == {}
    # When it runs after the lease expired
    time.sleep(0.3)
    outcomes = sweeper.sweep_once()
    # Then the attempt is recorded lost and attempt 2 is on the queue
    assert outcomes == {run_id: "retrying"}
    run = store.get(run_id)
    assert run.status == RunStatus.OPEN
    assert run.attempts[0].error is not None and run.attempts[0].error.name == "WorkerLostError"
    assert [run_id, 2] in broker.task_args()
    # And the pool counts one recovered lease for the action (a second sweep adds none)
    assert sweeper.sweep_once() == {}
    recovered = store.redis.hget(store.keys.metrics, "leases_recovered\tdebug:log")
    assert recovered is not None and float(recovered) == 1


def test_one_worker_sweeps_per_interval(store: RunStore, executor: Executor) -> None:
    first, second = Leases(store), Leases(store)
    assert first.take_sweep_turn(5)
    assert not second.take_sweep_turn(5)


def test_a_replaced_attempt_can_neither_checkpoint_nor_settle(
    store: RunStore, executor: Executor, make_run: Callable[..., str]
) -> None:
    # Given attempt 1 lost its lease and attempt 2 now holds the run
    run_id = make_run("debug:log", {"message": "x"})
    store.claim(run_id, attempt(1))
    executor.recover(run_id, 1, WorkerLostError("lease expired"))
    store.claim(run_id, attempt(2))
    # When the old attempt (a paused zombie) writes a checkpoint, or tries to complete the run
    zombie = RunCheckpoints(store, run_id, 1)
    # Then both are refused and attempt 2's state is untouched
    with pytest.raises(LeaseLostError):
        zombie.save("create-repo", '"zombie"')
    assert RunCheckpoints(store, run_id, 2).load("create-repo") is None
    assert RunCheckpoints(store, run_id, 2).save("create-repo", '"live"') is None
    assert RunCheckpoints(store, run_id, 2).load("create-repo") == '"live"'
    assert executor.settle_lost(run_id, 1, WorkerLostError("late")) == "stale"
    assert store.get(run_id).status == RunStatus.PROCESSING


def test_sweep_publishes_again_a_run_whose_message_was_lost(
    store: RunStore, executor: Executor, registry: Registry, broker: Broker
) -> None:
    # Given a run recorded but never published (the API died between the two)
    run = Run(
        id=str(uuid.uuid4()),
        action_id="debug:log",
        status=RunStatus.OPEN,
        input={"message": "x"},
        max_attempts=3,
        queue="default",
        created_at=now(),
    )
    store.create(run, fingerprint="f", key_digest=None, secrets={})
    assert broker.messages() == []
    sweeper = Sweeper(executor.leases, executor, interval_s=0.1, redispatch_after_s=0.2)
    # When the sweep runs after the redispatch wait
    time.sleep(0.3)
    # Then attempt 1 is on the queue, and the run completes once it is delivered
    assert sweeper.sweep_once() == {run.id: "redispatched"}
    assert broker.task_args() == [[run.id, 1]]
    assert executor.run_attempt(run.id, 1) == "completed"


def test_an_attempt_that_lost_its_lease_is_retried_not_failed(
    store: RunStore, executor: Executor, make_run: Callable[..., str]
) -> None:
    # Given an attempt sleeping (it stops when told to)
    run_id = make_run("debug:sleep", {"seconds": 30})
    outcome: list[str] = []
    thread = threading.Thread(target=lambda: outcome.append(executor.run_attempt(run_id, 1)))
    thread.start()
    time.sleep(0.3)
    # When its lease disappears (Redis lost it, or it expired during a stall)
    store.redis.delete(store.keys.lease(run_id))
    thread.join(5)
    # Then the attempt stops and the run is retried: a lost lease is no cancellation
    assert outcome == ["retrying"]
    run = store.get(run_id)
    assert run.status == RunStatus.OPEN
    assert run.attempts[0].error is not None and run.attempts[0].error.name == "LeaseLostError"


def test_the_sweep_never_takes_a_newer_attempt_for_the_lost_one(
    store: RunStore, executor: Executor, make_run: Callable[..., str]
) -> None:
    # Given the sweep saw attempt 1's lease expired...
    run_id = make_run("debug:log", {"message": "x"})
    store.claim(run_id, attempt(1))
    store.redis.delete(store.keys.lease(run_id))
    seen = executor.leases.expired()
    assert seen == [(run_id, 1)]
    # ...but attempt 1 was settled meanwhile and attempt 2 now holds the run
    executor.settle_lost(run_id, 1, WorkerLostError("child died"))
    store.claim(run_id, attempt(2))
    # When the sweep gets to it
    assert executor.recover(run_id, 1, WorkerLostError("lease expired")) == "stale"
    # Then attempt 2 keeps the run and its lease
    assert store.get(run_id).status == RunStatus.PROCESSING
    assert store.redis.get(store.keys.lease(run_id)) == "2"


def test_the_sweep_walks_every_processing_run(
    store: RunStore,
    executor: Executor,
    make_run: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given more expired runs than one page of the index (2 per page here)
    monkeypatch.setattr("worker.leases.SWEEP_BATCH", 2)
    run_ids = [make_run("debug:log", {"message": str(n)}) for n in range(5)]
    for run_id in run_ids:
        store.claim(run_id, attempt(1))
        store.redis.delete(store.keys.lease(run_id))
    # Then the sweep finds all of them
    assert sorted(executor.leases.expired()) == sorted((run_id, 1) for run_id in run_ids)


def test_a_run_published_again_waits_longer_before_the_next_copy(
    store: RunStore, executor: Executor, make_run: Callable[..., str], broker: Broker
) -> None:
    # Given an open run that the sweep publishes again (a long backlog looks like a loss)
    run_id = make_run("debug:log", {"message": "x"})
    sweeper = Sweeper(executor.leases, executor, interval_s=0.1, redispatch_after_s=0.2)
    time.sleep(0.3)
    assert sweeper.sweep_once() == {run_id: "redispatched"}
    # When the sweep runs again after the plain wait
    time.sleep(0.3)
    # Then it does not publish yet: the next copy waits twice as long
    assert sweeper.sweep_once() == {}
    assert len(broker.task_args()) == 2
