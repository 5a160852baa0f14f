"""The store's scripts against the real Redis: a run and its message in one step, fenced
transitions, resends that change nothing, the due and waiting sets, events, indexes, TTLs."""

from __future__ import annotations

import uuid
from datetime import timedelta

from actionpool.actions.registry import Registry
from actionpool.worker.clock import ms
from actionpool.worker.execution.dispatch import Dispatcher
from actionpool.worker.store.changes import NextAttempt, Settlement
from actionpool.worker.store.keys import RECORD_GRACE_S
from actionpool.worker.store.records import Attempt, ErrorInfo, Run, RunStatus
from actionpool.worker.store.store import RunStore
from tests.clock import ManualClock
from tests.integration.conftest import Broker


def attempt(store: RunStore, number: int) -> Attempt:
    return Attempt(number=number, worker="w1", started_at=store.now())


def claim(store: RunStore, run: Run, number: int, token: str = "t") -> str:
    return store.claim(run.id, run.queue, attempt(store, number), token).outcome


def test_a_created_run_and_its_message_are_written_in_one_step(
    store: RunStore, new_run, create, broker: Broker
) -> None:
    # Given a new run
    run = new_run()
    # When it is created
    created = create(run)
    # Then it reads back unchanged, is listed by status, action, owner and template, and its
    # attempt-1 message is on its queue
    assert (created.outcome, created.created) == ("created", True)
    assert store.get(run.id) == run
    keys = store.keys
    for index in (
        keys.index("all"),
        keys.index("status", "open"),
        keys.index("action", "debug:log"),
        keys.index("owner", "group:default/team-a"),
        keys.index("template", "template:default/svc"),
    ):
        assert store.redis.zscore(index, run.id) is not None, index
    assert broker.task_args() == [[run.id, 1]]
    assert store.redis.zscore(keys.waiting("default"), run.id) == ms(run.created_at)
    assert store.redis.sismember(keys.queues, "default")


def test_a_resent_create_is_recognised_and_puts_no_second_message(
    store: RunStore, new_run, create, broker: Broker
) -> None:
    # Given a create whose reply was lost, sent again as it was
    run = new_run()
    assert create(run).outcome == "created"
    again = create(run)
    # Then the second one says the run exists, and one message is on the queue
    assert (again.outcome, again.created) == ("exists", True)
    assert broker.task_args() == [[run.id, 1]]


def test_a_run_given_up_is_refused_when_its_create_arrives_late(
    store: RunStore, new_run, create, broker: Broker
) -> None:
    # Given the API gave a run id up (its create's reply was lost and Redis had no run)
    run = new_run()
    resolve = store.writes.resolve(run, fingerprint="fp", key_digest=None)
    assert store.run(resolve).outcome == "aborted"
    # When the create arrives after all
    late = create(run)
    # Then nothing is written: no run, no message
    assert (late.outcome, late.created) == ("aborted", False)
    assert not store.redis.exists(store.keys.run(run.id))
    assert broker.messages() == []


def test_resolving_a_create_that_was_carried_out_finds_it(store: RunStore, new_run, create) -> None:
    run = new_run()
    create(run)
    resolved = store.run(store.writes.resolve(run, fingerprint="fp", key_digest=None))
    assert (resolved.outcome, resolved.created) == ("exists", True)
    assert not store.redis.exists(store.keys.aborted(run.id))


def test_resolving_a_create_that_met_its_key_finds_the_run_the_key_names(
    store: RunStore, new_run, create
) -> None:
    # Given a run holding key k, and a second create with key k whose reply was lost
    first, second = new_run(), new_run()
    create(first, key="k", fingerprint="fp1")
    # When the second create's doubt is settled
    resolved = store.run(store.writes.resolve(second, fingerprint="fp1", key_digest="k"))
    # Then it is a replay of the first run, and the second run id is given up
    assert (resolved.outcome, resolved.run_id) == ("replay", first.id)
    assert store.redis.exists(store.keys.aborted(second.id))


def test_same_key_returns_the_first_run(store: RunStore, new_run, create, broker: Broker) -> None:
    first, second = new_run(), new_run()
    create(first, key="k", fingerprint="fp1")
    again = create(second, key="k", fingerprint="fp2")
    assert (again.outcome, again.run_id, again.fingerprint) == ("replay", first.id, "fp1")
    assert not store.redis.exists(store.keys.run(second.id))
    assert broker.task_args() == [[first.id, 1]]


def test_idempotency_key_expires_after_the_retention_window(
    store: RunStore, new_run, create
) -> None:
    create(new_run(), key="k")
    ttl_s = store.redis.ttl(store.keys.idempotency("k"))
    retention_s = store.limits.idempotency_retention_s
    assert retention_s - 5 < ttl_s <= retention_s


def test_claim_moves_open_to_processing_once_with_a_lease(store: RunStore, new_run, create) -> None:
    run = new_run()
    create(run)
    # When attempt 1 is claimed, and its message is delivered a second time
    first = store.claim(run.id, "default", attempt(store, 1), "token-1")
    assert first.outcome == "claimed"
    assert claim(store, run, 1, token="token-2") == "processing"
    # Then the claim hands over the run, now processing, with attempt 1 recorded, a log
    # event, and a lease whose expiry is its due time
    assert first.run is not None and first.run.status == RunStatus.PROCESSING
    assert first.run.input == run.input and first.secrets == {}
    claimed = store.get(run.id)
    assert claimed.status == RunStatus.PROCESSING
    assert [a.number for a in claimed.attempts] == [1]
    keys = store.keys
    assert store.redis.zscore(keys.index("status", "processing"), run.id) is not None
    assert store.redis.zscore(keys.index("status", "open"), run.id) is None
    assert [e.body["message"] for e in store.events(run.id)] == ["Attempt 1 started on w1"]
    lease_until = ms(store.now()) + store.limits.lease_ttl_ms
    assert store.redis.hget(keys.run(run.id), "leaseUntilMs") == str(lease_until)
    assert store.redis.zscore(keys.due, run.id) == lease_until
    assert store.redis.zscore(keys.waiting("default"), run.id) is None


def test_a_resent_claim_finds_its_own_claim(store: RunStore, new_run, create) -> None:
    # Given a claim whose reply was lost, sent again with the same token
    run = new_run()
    create(run)
    assert claim(store, run, 1, token="mine") == "claimed"
    again = store.claim(run.id, "default", attempt(store, 1), "mine")
    # Then it is claimed (not refused as taken), with one attempt and one start event
    assert again.outcome == "claimed" and again.run is not None
    assert len(store.get(run.id).attempts) == 1
    assert len(store.events(run.id)) == 1


def test_claim_refuses_an_attempt_that_is_not_next(store: RunStore, new_run, create) -> None:
    run = new_run()
    create(run)
    assert claim(store, run, 2) == "stale"
    assert store.claim(str(uuid.uuid4()), "default", attempt(store, 1), "t").outcome == "missing"


def test_renewal_extends_only_the_holders_lease_and_moves_its_due_time(
    store: RunStore, clock: ManualClock, new_run, create
) -> None:
    run = new_run()
    create(run)
    claim(store, run, 1)
    # When attempt 1 heartbeats a second later
    clock.advance(1)
    renewal = store.renew(run.id, 1)
    # Then its lease runs a full TTL from now, and so does its due time
    assert renewal.held and not renewal.cancel_requested
    lease_until = ms(store.now()) + store.limits.lease_ttl_ms
    assert store.redis.zscore(store.keys.due, run.id) == lease_until
    assert store.get(run.id).last_heartbeat_at == store.now()
    # And a stale attempt's heartbeat neither holds nor extends it
    assert not store.renew(run.id, 2).held
    assert store.redis.zscore(store.keys.due, run.id) == lease_until


def test_an_expired_lease_is_not_taken_back_by_a_late_heartbeat(
    store: RunStore, clock: ManualClock, new_run, create
) -> None:
    run = new_run()
    create(run)
    claim(store, run, 1)
    clock.advance(store.limits.lease_ttl_ms / 1000 + 1)
    assert not store.renew(run.id, 1).held


def retry_of(
    store: RunStore, run: Run, number: int, dispatcher: Dispatcher, registry: Registry
) -> Settlement:
    message = dispatcher.message(run, registry.get(run.action_id), number + 1)
    return Settlement(
        status=RunStatus.OPEN,
        attempt=attempt(store, number),
        next=NextAttempt(message, ready_ms=ms(store.now()), due_ms=None),
    )


def test_a_retry_puts_the_next_message_on_the_queue_in_the_same_step(
    store: RunStore, new_run, create, broker: Broker, dispatcher: Dispatcher, registry: Registry
) -> None:
    run = new_run()
    create(run)
    claim(store, run, 1)
    # When attempt 1 is settled for a retry
    assert store.settle(run, retry_of(store, run, 1, dispatcher, registry)) == "settled"
    # Then the run is open with attempt 2's message on its queue, and out of the due set
    assert store.get(run.id).status == RunStatus.OPEN
    assert broker.task_args() == [[run.id, 2], [run.id, 1]]
    assert store.redis.zscore(store.keys.due, run.id) is None
    assert store.redis.zscore(store.keys.waiting("default"), run.id) is not None


def test_settle_is_fenced_by_the_attempt(
    store: RunStore, new_run, create, dispatcher: Dispatcher, registry: Registry
) -> None:
    # Given a run retried after attempt 1 and now held by attempt 2
    run = new_run()
    create(run)
    claim(store, run, 1)
    assert store.settle(run, retry_of(store, run, 1, dispatcher, registry)) == "settled"
    claim(store, run, 2)
    # When the old attempt 1 tries to complete the run
    late = Settlement(
        status=RunStatus.COMPLETED, attempt=attempt(store, 1).model_copy(update={"worker": "x"})
    )
    # Then it is refused and attempt 2 still holds the run
    assert store.settle(run, late) == "stale"
    assert store.get(run.id).status == RunStatus.PROCESSING


def test_a_resent_settle_is_recognised(
    store: RunStore, new_run, create, broker: Broker, dispatcher: Dispatcher, registry: Registry
) -> None:
    run = new_run()
    create(run)
    claim(store, run, 1)
    retry = retry_of(store, run, 1, dispatcher, registry)
    assert store.settle(run, retry) == "settled"
    assert store.settle(run, retry) == "settled"
    assert broker.task_args() == [[run.id, 2], [run.id, 1]]


def test_the_sweep_settles_only_an_expired_lease(
    store: RunStore, clock: ManualClock, new_run, create
) -> None:
    run = new_run()
    create(run)
    claim(store, run, 1)
    failed = Settlement(status=RunStatus.FAILED, attempt=attempt(store, 1))
    # When the sweep settles it while the lease still runs, it is refused as alive
    assert store.settle(run, failed, expired_by=store.now()) == "alive"
    # And once the lease ran out, it settles
    clock.advance(store.limits.lease_ttl_ms / 1000 + 1)
    assert store.settle(run, failed, expired_by=store.now()) == "settled"


def test_terminal_settle_sets_retention_drops_secrets_and_leaves_the_sweep_sets(
    store: RunStore, new_run, create
) -> None:
    run = new_run()
    create(run, secrets={"token": "s3cret"})
    assert store.redis.exists(store.keys.secrets(run.id))
    claim(store, run, 1)
    failed = Settlement(
        status=RunStatus.FAILED,
        attempt=attempt(store, 1),
        fields={"error": ErrorInfo(name="X", message="y").model_dump_json()},
        event_type="completion",
        event_body={"message": "Run completed with status: failed"},
    )
    assert store.settle(run, failed) == "settled"
    ended = store.get(run.id)
    assert ended.status == RunStatus.FAILED and ended.error == ErrorInfo(name="X", message="y")
    assert not store.redis.exists(store.keys.secrets(run.id))
    # its records outlive the retention only by the grace, and the sweep forgets it when
    # the retention ends
    record_ttl_s = store.limits.run_retention_s + RECORD_GRACE_S
    assert store.limits.run_retention_s < store.redis.ttl(store.keys.run(run.id)) <= record_ttl_s
    assert store.limits.run_retention_s < store.redis.ttl(store.keys.events(run.id)) <= record_ttl_s
    forget_at_ms = store.redis.zscore(store.keys.forgettable, run.id)
    assert forget_at_ms == ms(store.now()) + store.limits.run_retention_s * 1000
    assert store.redis.zscore(store.keys.index("status", "failed"), run.id) is not None
    assert store.redis.zscore(store.keys.due, run.id) is None
    assert store.redis.zscore(store.keys.waiting("default"), run.id) is None


def test_an_open_run_with_limits_is_due_at_the_earliest(store: RunStore, new_run, create) -> None:
    now = store.now()
    run = new_run(
        deadline_at=now + timedelta(seconds=60), queue_deadline_at=now + timedelta(seconds=30)
    )
    create(run)
    assert store.redis.zscore(store.keys.due, run.id) == ms(now) + 30_000


def test_events_of_the_attempt_holding_the_run_are_numbered_and_read_after_an_id(
    store: RunStore, new_run, create
) -> None:
    run = new_run()
    create(run)
    claim(store, run, 1)
    for n in range(5):
        store.append_event(run.id, 1, "log", {"message": f"line {n}"})
    events = store.events(run.id, after=2)
    # (event 1 is "Attempt 1 started")
    assert [e.id for e in events] == [3, 4, 5, 6]
    assert [e.body["message"] for e in events] == ["line 1", "line 2", "line 3", "line 4"]
    assert all(e.run_id == run.id and e.type == "log" for e in events)


def test_an_attempt_that_no_longer_holds_the_run_appends_no_event(
    store: RunStore, new_run, create
) -> None:
    run = new_run()
    create(run)
    claim(store, run, 1)
    assert store.append_event(run.id, 2, "log", {"message": "zombie"}) == 0
    assert [e.body["message"] for e in store.events(run.id)] == ["Attempt 1 started on w1"]


def test_events_are_capped_per_run(settings, clock: ManualClock, new_run, create) -> None:
    store = RunStore.from_settings(settings.model_copy(update={"events_max_per_run": 100}), clock)
    run = new_run()
    create(run)
    claim(store, run, 1)
    for n in range(150):
        store.append_event(run.id, 1, "log", {"message": f"line {n}"})
    events = store.events(run.id)
    assert len(events) == 100
    assert events[0].id == 52 and events[-1].id == 151


def test_claim_hands_over_the_secrets(store: RunStore, new_run, create) -> None:
    run = new_run()
    create(run, secrets={"token": "t0ps3cret"})
    claimed = store.claim(run.id, "default", attempt(store, 1), "t")
    assert claimed.secrets == {"token": "t0ps3cret"}


def test_a_message_is_read_back_by_its_queue_key(store: RunStore, new_run, create) -> None:
    # kombu names the queue's list; Keys.queue names the same list
    run = new_run()
    create(run)
    assert store.redis.llen(store.keys.queue("default")) == 1


def test_expiring_a_run_none_of_whose_limits_passed_changes_nothing(
    store: RunStore, clock: ManualClock, new_run, create
) -> None:
    # Given an open run whose queue deadline is a minute away (the sweep saw an older one)
    run = new_run(queue_deadline_at=store.now() + timedelta(seconds=60))
    create(run)
    error = ErrorInfo(name="QueueTimeoutError", message="late")
    # When it is expired before that, it is not; after it, it is
    assert store.expire(run.id, "default", error) == "not-due"
    assert store.get(run.id).status == RunStatus.OPEN
    clock.advance(61)
    assert store.expire(run.id, "default", error) == "expired"
