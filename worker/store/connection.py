"""Redis clients built from settings, and what their failures mean to a caller.

`store_errors` turns "Redis cannot be reached or cannot write" into `StoreUnavailableError`;
for a read, or a write that was never sent, that is the whole truth (nothing changed).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import tenacity
from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import (
    BusyLoadingError,
    MasterDownError,
    OutOfMemoryError,
    ReadOnlyError,
    ResponseError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from actionpool.actions.errors import StoreUnavailableError
from actionpool.worker.settings import PoolSettings

HEALTH_CHECK_INTERVAL_S = 30
CLIENT_RETRIES = 1
"""redis-py sends a command once more after a dropped connection, and connects twice before
it gives up. Every state-changing script is safe to resend (a resend finds its own change:
see the scripts' headers); a resent log line or metric count may be counted twice."""
RETRY_BACKOFF = ExponentialBackoff(cap=0.2, base=0.05)

CONNECTION_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)
"""What a lost or refused connection raises."""

REFUSED_ERRORS = (OutOfMemoryError, ReadOnlyError, BusyLoadingError, MasterDownError)
"""What redis-py raises for the error replies OOM, READONLY, LOADING and MASTERDOWN (it
drops the code from the message): Redis cannot take writes now, not that a command is wrong.
A script refused so has written nothing: Redis refuses a script before, or at, its first
write."""
UNAVAILABLE_REPLIES = ("OOM", "MISCONF", "LOADING", "READONLY", "MASTERDOWN")
"""The same replies by their text, for those redis-py raises as a plain `ResponseError`, or
that a script's error carries (`Error running script (...): ... -OOM command not allowed`)."""


def client_options(settings: PoolSettings) -> dict[str, Any]:
    """Options every client of the pool uses: str replies, bounded waits on a dead Redis."""
    return {
        "decode_responses": True,
        "socket_timeout": settings.redis_socket_timeout_s,
        "socket_connect_timeout": settings.redis_socket_timeout_s,
        "health_check_interval": HEALTH_CHECK_INTERVAL_S,
    }


def connect(settings: PoolSettings) -> Redis:
    retry = Retry(RETRY_BACKOFF, CLIENT_RETRIES)
    return Redis.from_url(settings.redis_url, retry=retry, **client_options(settings))


def connect_async(settings: PoolSettings) -> AsyncRedis:
    retry = AsyncRetry(RETRY_BACKOFF, CLIENT_RETRIES)
    client: AsyncRedis = AsyncRedis.from_url(
        settings.redis_url, retry=retry, **client_options(settings)
    )
    return client


def is_unavailable_reply(error: BaseException) -> bool:
    if isinstance(error, REFUSED_ERRORS):
        return True
    text = str(error)
    return isinstance(error, ResponseError) and (
        text.startswith(UNAVAILABLE_REPLIES)
        or any(f"-{code} " in text for code in UNAVAILABLE_REPLIES)
    )


@contextlib.contextmanager
def store_errors() -> Iterator[None]:
    """Turn "Redis is unreachable or cannot write" into `StoreUnavailableError` (HTTP 503)."""
    try:
        yield
    except (*CONNECTION_ERRORS, ResponseError) as exc:
        if isinstance(exc, ResponseError) and not is_unavailable_reply(exc):
            raise
        raise StoreUnavailableError(f"the run store is unavailable: {exc}") from exc


def outage_retrying(budget_s: float) -> tenacity.Retrying:
    """Retries of a store call through a Redis outage of up to `budget_s` (a blip must not
    end a running attempt): on connection errors only, backing off up to 1 s."""
    return tenacity.Retrying(
        stop=tenacity.stop_after_delay(budget_s),
        wait=tenacity.wait_exponential(multiplier=0.05, max=1.0),
        retry=tenacity.retry_if_exception_type(CONNECTION_ERRORS),
        reraise=True,
    )
