"""A Redis that may evict keys is refused, unless the operator says to run on it anyway."""

import logging

import pytest

from actionpool.actions.errors import StoreMisconfiguredError
from actionpool.worker.store.health import MemoryHealth, check_memory


def test_a_redis_that_evicts_nothing_is_fine() -> None:
    health = MemoryHealth.of({"maxmemory_policy": "noeviction", "evicted_keys": 0})
    assert not health.evicts
    check_memory(health, allow_eviction=False)


@pytest.mark.parametrize("policy", ["allkeys-lru", "volatile-ttl", "allkeys-random"])
def test_a_redis_that_may_evict_is_refused_naming_its_policy(policy: str) -> None:
    health = MemoryHealth.of({"maxmemory_policy": policy, "evicted_keys": 986})
    with pytest.raises(StoreMisconfiguredError, match=f"'{policy}'.*986 keys evicted"):
        check_memory(health, allow_eviction=False)


def test_allowed_it_is_a_loud_warning(caplog: pytest.LogCaptureFixture) -> None:
    health = MemoryHealth("allkeys-lru", 0)
    with caplog.at_level(logging.WARNING):
        check_memory(health, allow_eviction=True)
    assert "running anyway because ACTIONPOOL_ALLOW_EVICTION is set" in caplog.text
