"""`RateLimiter`: how fast one credential may start runs, held in Redis so every API process
shares one budget per credential.

A moving window (the `limits` library's, on redis-py with a connection pool of its own: no
second Redis client library) of
`ACTIONPOOL_RATE_LIMIT_CREATE` (default `120/minute`) per credential: a run started past it
is a `RateLimitedError` (429) whose `Retry-After` says when the oldest hit in the window
leaves it. Its keys are `Keys.rate_limit` + `:LIMITER/create/<sha256 of the credential
id>/<amount>/<multiples>/<granularity>`, lists of hit times that expire a window after the
last hit; a credential's id (a token's digest, a subject) is never written in a key.

When Redis cannot be asked (down, slow past its socket timeout), the limiter lets the
request through and logs it (at most once a minute): an outage of the limiter must not refuse
runs by itself, and the run's creation, which needs the same Redis, answers 503 on its own
when Redis is really gone.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable

import limits
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool

from actionpool.actions.errors import RateLimitedError
from actionpool.api.settings import ApiSettings

log = logging.getLogger(__name__)

NAMESPACE = "create"
WARN_EVERY_S = 60.0
"""While Redis cannot be asked, a line says so at most this often."""
STORAGE_URI = "async+redis://"
"""What `limits` is told the storage is; the connection pool given with it (built from
`ACTIONPOOL_REDIS_URL`, `rediss://` and `unix://` too) is what it really uses."""


class RateLimiter:
    """`hit(credential_id)` before each run a credential starts (no-op when disabled)."""

    def __init__(
        self,
        rate: limits.RateLimitItem,
        pool: ConnectionPool | None,
        *,
        key_prefix: str,
        clock_s: Callable[[], float] = time.time,
    ) -> None:
        self.rate = rate
        self.pool = pool
        self.clock_s = clock_s
        self.strategy = (
            None
            if pool is None
            else MovingWindowRateLimiter(
                RedisStorage(
                    STORAGE_URI,
                    wrap_exceptions=True,
                    implementation="redispy",
                    key_prefix=key_prefix,
                    connection_pool=pool,  # type: ignore[arg-type]  # typed for scalars only
                )
            )
        )
        self.warned_at_s = -math.inf

    @classmethod
    def from_settings(cls, settings: ApiSettings, *, key_prefix: str) -> RateLimiter:
        """`key_prefix`: the pool's `Keys(settings.key_prefix).rate_limit`."""
        rate = limits.parse(settings.rate_limit_create)
        if not settings.rate_limit_enabled:
            return cls(rate, None, key_prefix=key_prefix)
        pool = ConnectionPool.from_url(
            settings.redis_url,
            socket_timeout=settings.redis_socket_timeout_s,
            socket_connect_timeout=settings.redis_socket_timeout_s,
        )
        return cls(rate, pool, key_prefix=key_prefix)

    async def hit(self, credential_id: str) -> None:
        """Count one run started by this credential, or raise `RateLimitedError` (nothing
        counted) when its window is full."""
        if self.strategy is None:
            return
        identity = hashlib.sha256(credential_id.encode()).hexdigest()
        try:
            if await self.strategy.hit(self.rate, NAMESPACE, identity):
                return
            stats = await self.strategy.get_window_stats(self.rate, NAMESPACE, identity)
            retry_after_s = max(1, math.ceil(stats.reset_time - self.clock_s()))
        except (StorageError, OSError, TimeoutError) as exc:
            self._warn(exc)
            return
        raise RateLimitedError(
            f"too many runs started: the limit is {self.rate} for each credential; try again "
            f"in {retry_after_s} s",
            retry_after_s,
        )

    def _warn(self, exc: Exception) -> None:
        now_s = self.clock_s()
        if now_s - self.warned_at_s >= WARN_EVERY_S:
            self.warned_at_s = now_s
            reason = exc.storage_error if isinstance(exc, StorageError) else exc
            log.warning("rate limit not checked (requests let through): Redis: %r", reason)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.aclose()
