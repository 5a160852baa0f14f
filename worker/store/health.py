"""Whether the Redis under the pool can keep what it is given: a Redis that evicts keys under
memory pressure (any `maxmemory-policy` but `noeviction`) drops runs, their indexes and the
broker's messages without a trace. The pool refuses such a Redis at startup and in `/readyz`,
unless told otherwise (`ACTIONPOOL_ALLOW_EVICTION`), and then says so loudly and in metrics."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from redis.exceptions import RedisError

from actionpool.actions.errors import StoreMisconfiguredError
from actionpool.worker.settings import PoolSettings

log = logging.getLogger(__name__)

SAFE_POLICY = "noeviction"


@dataclasses.dataclass(frozen=True)
class MemoryHealth:
    """What Redis says of its memory: its eviction policy and the keys it evicted so far."""

    policy: str
    evicted_keys: int

    @property
    def evicts(self) -> bool:
        return self.policy != SAFE_POLICY

    @classmethod
    def of(cls, info: dict[str, Any]) -> MemoryHealth:
        """From `INFO memory` + `INFO stats` (what `Reads.memory_info` reads)."""
        return cls(str(info.get("maxmemory_policy", "unknown")), int(info.get("evicted_keys", 0)))


def check_memory(health: MemoryHealth, *, allow_eviction: bool) -> None:
    """Refuse a Redis that may evict keys, unless allowed (then warn)."""
    if not health.evicts:
        return
    message = (
        f"Redis maxmemory-policy is {health.policy!r}: under memory pressure it evicts keys, "
        f"and runs vanish ({health.evicted_keys} keys evicted so far). Set it to "
        f"'{SAFE_POLICY}' (docs/operations.md#redis)"
    )
    if not allow_eviction:
        raise StoreMisconfiguredError(message)
    log.warning("%s; running anyway because ACTIONPOOL_ALLOW_EVICTION is set", message)


def check_redis_at_start(settings: PoolSettings) -> None:
    """Refuse to start on a Redis that may evict keys (`StoreMisconfiguredError`); a Redis
    that does not answer yet is waited for by the process, as usual."""
    from actionpool.worker.store.store import RunStore  # the store imports this module

    store = RunStore.from_settings(settings)
    try:
        info = store.run(store.reads.memory_info())
    except RedisError as exc:
        log.warning("Redis does not answer yet (%s): its memory policy is checked later", exc)
        return
    finally:
        store.close()
    check_memory(MemoryHealth.of(info), allow_eviction=settings.allow_eviction)
