"""RunStore against the real Redis: atomic create, fenced transitions, events, indexes, TTLs."""

from __future__ import annotations

import uuid

from worker.records import Attempt, ErrorInfo, Run, RunContext, RunStatus, Settlement, now
from worker.store import RunStore


def new_run(**changes: object) -> Run:
    fields = {
        "id": str(uuid.uuid4()),
        "action_id": "debug:log",
        "status": RunStatus.OPEN,
        "input": {"message": "hi"},
        "max_attempts": 3,
        "context": RunContext(owner="group:default/team-a", template_ref="template:default/svc"),
        "queue": "default",
        "created_at": now(),
    }
    return Run(**{**fields, **changes})  # type: ignore[arg-type]


def attempt(number: int) -> Attempt:
    return Attempt(number=number, worker="w1", started_at=now())


def test_created_run_reads_back_with_its_indexes(store: RunStore) -> None:
    # Given a new run
    run = new_run()
    # When it is created
    created = store.create(run, fingerprint="fp", key_digest=None, secrets={})
    # Then it reads back unchanged and is listed by status, action, owner and template
    assert created.created
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


def test_same_key_returns_the_first_run(store: RunStore) -> None:
    first, second = new_run(), new_run()
    store.create(first, fingerprint="fp1", key_digest="k", secrets={})
    again = store.create(second, fingerprint="fp2", key_digest="k", secrets={})
    assert not again.created
    assert (again.run_id, again.fingerprint) == (first.id, "fp1")
    assert not store.redis.exists(store.keys.run(second.id))


def test_idempotency_key_expires_after_the_retention_window(store: RunStore) -> None:
    store.create(new_run(), fingerprint="fp", key_digest="k", secrets={})
    ttl_s = store.redis.ttl(store.keys.idempotency("k"))
    assert store.idempotency_retention_s - 5 < ttl_s <= store.idempotency_retention_s


def test_claim_moves_open_to_processing_once(store: RunStore) -> None:
    run = new_run()
    store.create(run, fingerprint="fp", key_digest=None, secrets={})
    # When attempt 1 is claimed twice (a duplicated message)
    first = store.claim(run.id, attempt(1))
    assert first.outcome == "claimed"
    assert store.claim(run.id, attempt(1)).outcome == "processing"
    # Then the claim hands over the run, now processing, with attempt 1 recorded and a log event
    assert first.run is not None and first.run.status == RunStatus.PROCESSING
    assert first.run.input == run.input and first.secrets == {}
    claimed = store.get(run.id)
    assert claimed.status == RunStatus.PROCESSING
    assert [a.number for a in claimed.attempts] == [1]
    assert claimed.started_at is not None
    assert store.redis.zscore(store.keys.index("status", "processing"), run.id) is not None
    assert store.redis.zscore(store.keys.index("status", "open"), run.id) is None
    assert [e.body["message"] for e in store.events(run.id)] == ["Attempt 1 started on w1"]


def test_claim_refuses_an_attempt_that_is_not_next(store: RunStore) -> None:
    run = new_run()
    store.create(run, fingerprint="fp", key_digest=None, secrets={})
    assert store.claim(run.id, attempt(2)).outcome == "stale"
    assert store.claim("no-such-run", attempt(1)).outcome == "missing"


def test_settle_is_fenced_by_the_attempt(store: RunStore) -> None:
    # Given a run retried after attempt 1 and now held by attempt 2
    run = new_run()
    store.create(run, fingerprint="fp", key_digest=None, secrets={})
    store.claim(run.id, attempt(1))
    assert store.settle(run.id, Settlement(status=RunStatus.OPEN, attempt=attempt(1)))
    store.claim(run.id, attempt(2))
    # When the old attempt 1 tries to complete the run
    late = Settlement(status=RunStatus.COMPLETED, attempt=attempt(1), fields={"output": "{}"})
    # Then it is refused and attempt 2 still holds the run
    assert not store.settle(run.id, late)
    assert store.get(run.id).status == RunStatus.PROCESSING


def test_terminal_settle_sets_retention_and_drops_secrets(store: RunStore) -> None:
    run = new_run()
    store.create(run, fingerprint="fp", key_digest=None, secrets={"token": "s3cret"})
    assert store.secrets(run.id) == {"token": "s3cret"}
    store.claim(run.id, attempt(1))
    failed = Settlement(
        status=RunStatus.FAILED,
        attempt=attempt(1),
        fields={"error": ErrorInfo(name="X", message="y").model_dump_json()},
        event_type="completion",
        event_body={"message": "Run completed with status: failed"},
    )
    assert store.settle(run.id, failed)
    ended = store.get(run.id)
    assert ended.status == RunStatus.FAILED and ended.error == ErrorInfo(name="X", message="y")
    assert store.secrets(run.id) == {}
    assert 0 < store.redis.ttl(store.keys.run(run.id)) <= store.run_retention_s
    assert 0 < store.redis.ttl(store.keys.events(run.id)) <= store.run_retention_s
    assert store.redis.zscore(store.keys.index("status", "failed"), run.id) is not None


def test_events_are_numbered_and_read_after_an_id(store: RunStore) -> None:
    run = new_run()
    store.create(run, fingerprint="fp", key_digest=None, secrets={})
    for n in range(5):
        store.append_event(run.id, "log", {"message": f"line {n}"})
    events = store.events(run.id, after=2)
    assert [e.id for e in events] == [3, 4, 5]
    assert [e.body["message"] for e in events] == ["line 2", "line 3", "line 4"]
    assert all(e.run_id == run.id and e.type == "log" for e in events)


def test_events_are_capped_per_run(store: RunStore) -> None:
    store.events_max_per_run = 100
    run = new_run()
    store.create(run, fingerprint="fp", key_digest=None, secrets={})
    for n in range(150):
        store.append_event(run.id, "log", {"message": f"line {n}"})
    events = store.events(run.id)
    assert len(events) == 100
    assert events[0].id == 51 and events[-1].id == 150


def test_discard_removes_an_untouched_run_and_its_key(store: RunStore) -> None:
    run = new_run()
    store.create(run, fingerprint="fp", key_digest="k", secrets={"a": "bcde"})
    assert store.discard(run, "k")
    assert not store.redis.exists(store.keys.run(run.id), store.keys.idempotency("k"))
    assert store.redis.zscore(store.keys.index("all"), run.id) is None


def test_discard_leaves_a_claimed_run(store: RunStore) -> None:
    run = new_run()
    store.create(run, fingerprint="fp", key_digest=None, secrets={})
    store.claim(run.id, attempt(1))
    assert not store.discard(run, None)
    assert store.get(run.id).status == RunStatus.PROCESSING


def test_claim_hands_over_the_secrets(store: RunStore) -> None:
    run = new_run()
    store.create(run, fingerprint="fp", key_digest=None, secrets={"token": "abcd1234"})
    assert store.claim(run.id, attempt(1)).secrets == {"token": "abcd1234"}
