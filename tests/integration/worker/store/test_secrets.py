"""A run's secrets in the real Redis: sealed (never plaintext), kept only while the run can
still execute (a TTL bounded by its deadline, deleted on every way a run ends), readable
across a key rotation."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from actionpool.actions.registry import Registry
from actionpool.worker.clock import ms
from actionpool.worker.execution.dispatch import Dispatcher
from actionpool.worker.settings import PoolSettings
from actionpool.worker.store.changes import NextAttempt, Settlement
from actionpool.worker.store.keys import SECRETS_DEADLINE_MARGIN_S, SECRETS_TTL_S
from actionpool.worker.store.records import Attempt, ErrorInfo, Run, RunStatus
from actionpool.worker.store.store import RunStore
from tests.clock import ManualClock
from tests.secrets_keys import SECRETS_KEYS


@pytest.fixture
def secret() -> str:
    return f"s3cr3t-{uuid.uuid4()}"


@pytest.fixture
def create(
    store: RunStore, registry: Registry, dispatcher: Dispatcher, secret: str
) -> Callable[..., Run]:
    """Create a run holding `{"token": secret}` (or `secrets`), through `store` (or `through`)."""

    def make(
        run: Run, through: RunStore | None = None, secrets: dict[str, str] | None = None
    ) -> Run:
        writer = through or store
        message = dispatcher.message(run, registry.get(run.action_id), 1)
        secrets = {"token": secret} if secrets is None else secrets
        call = writer.writes.create(
            run, message, fingerprint="fp", key_digest=None, secrets=secrets
        )
        assert writer.run(call).created
        return run

    return make


def attempt(store: RunStore, number: int = 1) -> Attempt:
    return Attempt(number=number, worker="w1", started_at=store.now())


def store_with_keys(settings: PoolSettings, clock: ManualClock, keys: list[str]) -> RunStore:
    secret_keys = [SecretStr(key) for key in keys]
    return RunStore.from_settings(settings.model_copy(update={"secrets_keys": secret_keys}), clock)


def test_secrets_are_stored_sealed_never_as_plaintext(
    store: RunStore, new_run, create, secret: str
) -> None:
    # When a run is created with a secret
    run = create(new_run())
    # Then Redis holds one token that is not the plaintext, and opens with the pool's key
    stored = store.redis.get(store.keys.secrets(run.id))
    assert stored is not None
    assert secret not in stored and "token" not in stored
    assert json.loads(Fernet(SECRETS_KEYS[0]).decrypt(stored)) == {"token": secret}
    # And the claim hands them over unsealed
    claimed = store.claim(run.id, run.queue, attempt(store), "t")
    assert (claimed.secrets, claimed.unreadable) == ({"token": secret}, None)


def test_secrets_live_no_longer_than_the_deadline_and_a_margin(
    store: RunStore, new_run, create
) -> None:
    # Given a run with a deadline 10 minutes away, and one without any
    soon = create(new_run(deadline_at=store.now() + timedelta(minutes=10)))
    never = create(new_run())
    # Then the first's secrets expire a margin after its deadline, the second's at the cap
    assert 0 < store.redis.ttl(store.keys.secrets(soon.id)) <= 600 + SECRETS_DEADLINE_MARGIN_S
    assert SECRETS_TTL_S - 5 < store.redis.ttl(store.keys.secrets(never.id)) <= SECRETS_TTL_S


def completed(store: RunStore, run: Run) -> str:
    store.claim(run.id, run.queue, attempt(store), "t")
    return store.settle(run, Settlement(status=RunStatus.COMPLETED, attempt=attempt(store)))


def failed_for_good(store: RunStore, run: Run) -> str:
    store.claim(run.id, run.queue, attempt(store), "t")
    error = ErrorInfo(name="NonRetryableActionError", message="no")
    fields = {"error": error.model_dump_json()}
    failed = Settlement(status=RunStatus.FAILED, attempt=attempt(store), fields=fields)
    return store.settle(run, failed)


def cancelled_while_processing(store: RunStore, run: Run) -> str:
    store.claim(run.id, run.queue, attempt(store), "t")
    assert store.cancel(run.id, run.queue) == "requested"
    return store.settle(run, Settlement(status=RunStatus.CANCELLED, attempt=attempt(store)))


def cancelled_while_open(store: RunStore, run: Run) -> str:
    return store.cancel(run.id, run.queue)


def expired(store: RunStore, run: Run) -> str:
    error = ErrorInfo(name="DeadlineExceededError", message="late")
    return store.expire(run.id, run.queue, error)


def lease_lost_for_good(store: RunStore, run: Run) -> str:
    """The sweep's settlement of a last attempt whose worker died (no retry left)."""
    store.claim(run.id, run.queue, attempt(store), "t")
    store.clock.advance(store.limits.lease_ttl_ms / 1000 + 1)  # type: ignore[attr-defined]
    lost = Settlement(status=RunStatus.FAILED, attempt=attempt(store))
    return store.settle(run, lost, expired_by=store.now())


ENDINGS = {
    "completed": (completed, None, "settled"),
    "failed for good": (failed_for_good, None, "settled"),
    "cancelled while processing": (cancelled_while_processing, None, "settled"),
    "cancelled while open": (cancelled_while_open, None, "cancelled"),
    "deadline passed while open": (expired, "deadline_at", "expired"),
    "queue timeout passed": (expired, "queue_deadline_at", "expired"),
    "lease lost on the last attempt": (lease_lost_for_good, None, "settled"),
}
"""How a run ends -> (what ends it, the limit that must have passed first, its outcome)."""


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_every_way_a_run_ends_deletes_its_secrets(
    store: RunStore, clock: ManualClock, new_run, create, ending: str
) -> None:
    end, limit, outcome = ENDINGS[ending]
    # Given a run holding secrets (for an expiry: its limit 5 s away, then passed)
    run = create(new_run(**({limit: store.now() + timedelta(seconds=5)} if limit else {})))
    assert store.redis.exists(store.keys.secrets(run.id))
    clock.advance(6)
    # When it ends that way
    assert end(store, run) == outcome
    # Then its secrets are gone, while its record stays for the retention
    assert store.get(run.id).status.is_terminal
    assert not store.redis.exists(store.keys.secrets(run.id))


def test_a_retry_keeps_the_secrets_for_the_next_attempt(
    store: RunStore, new_run, create, dispatcher: Dispatcher, registry: Registry, secret: str
) -> None:
    run = create(new_run())
    store.claim(run.id, run.queue, attempt(store), "t")
    message = dispatcher.message(run, registry.get(run.action_id), 2)
    retry = Settlement(
        status=RunStatus.OPEN,
        attempt=attempt(store),
        next=NextAttempt(message, ready_ms=ms(store.now()), due_ms=None),
    )
    assert store.settle(run, retry) == "settled"
    assert store.claim(run.id, run.queue, attempt(store, 2), "t2").secrets == {"token": secret}


def test_secrets_sealed_under_the_old_key_are_read_after_a_rotation(
    settings: PoolSettings, clock: ManualClock, new_run, create, secret: str
) -> None:
    # Given a run created while the pool had only its old key
    old, new = SECRETS_KEYS[0], Fernet.generate_key().decode()
    run = create(new_run())
    # When the keys are rotated: the new one first, the old one kept
    rotated = store_with_keys(settings, clock, [new, old])
    try:
        # Then the run's secrets still open, and a new run's are sealed with the new key
        assert rotated.claim(run.id, run.queue, attempt(rotated), "t").secrets == {"token": secret}
        later = create(new_run(), through=rotated)
        sealed = rotated.redis.get(rotated.keys.secrets(later.id))
        assert json.loads(Fernet(new).decrypt(sealed)) == {"token": secret}
    finally:
        rotated.close()


def test_secrets_gone_before_an_attempt_starts_are_refused_clearly(
    store: RunStore, new_run, create
) -> None:
    # Given a run whose secrets were dropped while it waited (their TTL ran out)
    run = create(new_run())
    store.redis.delete(store.keys.secrets(run.id))
    # When its attempt is claimed, the claim says they are gone (it never runs without them)
    claim = store.claim(run.id, run.queue, attempt(store), "t")
    assert claim.outcome == "claimed" and claim.unreadable is not None
    assert "dropped before this attempt started" in str(claim.unreadable)
    # And a run created without secrets is claimed with none, as ever
    plain = create(new_run(), secrets={})
    assert store.claim(plain.id, plain.queue, attempt(store), "t").unreadable is None


def test_secrets_whose_key_was_dropped_are_refused_clearly(
    settings: PoolSettings, clock: ManualClock, new_run, create
) -> None:
    # Given a run created under a key the pool then dropped too early
    run = create(new_run())
    dropped = store_with_keys(settings, clock, [Fernet.generate_key().decode()])
    try:
        # When its attempt is claimed
        claim = dropped.claim(run.id, run.queue, attempt(dropped), "t")
        # Then the claim holds the run, without secrets, saying why (nothing raised)
        assert claim.outcome == "claimed" and claim.secrets == {}
        assert claim.unreadable is not None
        assert "ACTIONPOOL_SECRETS_KEYS" in str(claim.unreadable)
    finally:
        dropped.close()
