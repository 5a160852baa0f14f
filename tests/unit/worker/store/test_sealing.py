"""A run's secrets sealed into one token: any configured key opens it, the first seals it;
a missing key refuses the store, a dropped one fails the run clearly."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet

from actionpool.actions.errors import (
    NonRetryableActionError,
    SecretsKeyError,
    SecretsUnreadableError,
    StoreMisconfiguredError,
)
from actionpool.worker.settings import PoolSettings
from actionpool.worker.store.aio import AsyncRunStore
from actionpool.worker.store.sealing import MAKE_KEY, Sealer
from actionpool.worker.store.store import RunStore

SECRETS = {"token": "s3cr3t-value", "other": "x"}


def key() -> str:
    return Fernet.generate_key().decode()


def test_the_map_is_sealed_into_one_token_that_is_not_the_plaintext() -> None:
    sealer = Sealer([key()])
    token = sealer.seal(SECRETS)
    assert "s3cr3t-value" not in token and "token" not in token
    assert sealer.unseal(token) == SECRETS
    assert sealer.seal(SECRETS) != token  # a fresh IV each time: equal maps do not show


def test_after_a_rotation_the_old_key_still_opens_and_the_new_one_seals() -> None:
    # Given secrets sealed while the pool had only its old key
    old, new = key(), key()
    sealed_before = Sealer([old]).seal(SECRETS)
    # When the new key is put first and the old one kept
    rotated = Sealer([new, old])
    # Then what the old key sealed still opens, and what is sealed now opens with the new key
    assert rotated.unseal(sealed_before) == SECRETS
    assert Sealer([new]).unseal(rotated.seal(SECRETS)) == SECRETS
    # And once the old key is dropped, what it sealed no longer opens
    with pytest.raises(SecretsUnreadableError):
        Sealer([new]).unseal(sealed_before)


def test_secrets_whose_key_was_dropped_fail_the_run_for_good_naming_the_cause() -> None:
    sealed = Sealer([key()]).seal(SECRETS)
    with pytest.raises(SecretsUnreadableError) as refused:
        Sealer([key()]).unseal(sealed)
    assert isinstance(refused.value, NonRetryableActionError)  # no retry would do better
    assert "ACTIONPOOL_SECRETS_KEYS" in str(refused.value)
    assert "removed while the run could still run" in str(refused.value)
    assert refused.value.__cause__ is None and refused.value.__suppress_context__


def test_a_value_that_is_no_token_at_all_is_refused_the_same_way() -> None:
    with pytest.raises(SecretsUnreadableError):
        Sealer([key()]).unseal(json.dumps(SECRETS))  # plaintext written by an older version


def test_without_a_key_nothing_is_built_and_the_message_says_how_to_make_one() -> None:
    with pytest.raises(SecretsKeyError) as refused:
        Sealer([])
    message = str(refused.value)
    assert "ACTIONPOOL_SECRETS_KEYS" in message and MAKE_KEY in message
    assert isinstance(refused.value, StoreMisconfiguredError)  # `actionpool api|worker` refuse


def test_a_key_that_is_no_fernet_key_is_refused_without_showing_it() -> None:
    with pytest.raises(SecretsKeyError) as refused:
        Sealer(["not-a-key-but-a-passphrase"])
    assert "not-a-key-but-a-passphrase" not in str(refused.value)
    assert refused.value.__cause__ is None and refused.value.__suppress_context__


def test_both_stores_refuse_to_build_without_a_key() -> None:
    # Given settings without ACTIONPOOL_SECRETS_KEYS (no Redis is needed to refuse)
    settings = PoolSettings(redis_url="redis://127.0.0.1:1/0", secrets_keys=[])
    # Then neither the workers' store nor the API's is built
    with pytest.raises(SecretsKeyError, match="ACTIONPOOL_SECRETS_KEYS"):
        RunStore.from_settings(settings)
    with pytest.raises(SecretsKeyError, match="ACTIONPOOL_SECRETS_KEYS"):
        AsyncRunStore.from_settings(settings)


def test_the_keys_come_from_the_environment_as_a_json_list_and_never_show(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given two keys in the environment, the new one first
    new, old = key(), key()
    monkeypatch.setenv("ACTIONPOOL_SECRETS_KEYS", json.dumps([new, old]))
    settings = PoolSettings()
    # Then the store's sealer uses both, and the settings never print them
    assert Sealer([new]).unseal(Sealer.from_settings(settings).seal(SECRETS)) == SECRETS
    assert Sealer.from_settings(settings).unseal(Sealer([old]).seal(SECRETS)) == SECRETS
    assert new not in repr(settings) and old not in str(settings.model_dump())
