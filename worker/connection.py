"""Redis clients built from settings (one for the store, one for async waiting in the API),
and what their failures mean to a caller (`store_errors`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from actions.errors import StoreUnavailableError
from worker.settings import PoolSettings

HEALTH_CHECK_INTERVAL_S = 30


def client_options(settings: PoolSettings) -> dict[str, Any]:
    """Options every client of the pool uses: str replies, bounded waits on a dead Redis."""
    return {
        "decode_responses": True,
        "socket_timeout": settings.redis_socket_timeout_s,
        "socket_connect_timeout": settings.redis_socket_timeout_s,
        "health_check_interval": HEALTH_CHECK_INTERVAL_S,
    }


def connect(settings: PoolSettings) -> Redis:
    return Redis.from_url(settings.redis_url, **client_options(settings))


def connect_async(settings: PoolSettings) -> AsyncRedis:
    client: AsyncRedis = AsyncRedis.from_url(settings.redis_url, **client_options(settings))
    return client


UNAVAILABLE_REPLIES = ("OOM", "MISCONF", "LOADING", "READONLY", "MASTERDOWN")
"""Error replies that mean Redis cannot take writes now (not that a command is wrong)."""


@contextlib.contextmanager
def store_errors() -> Iterator[None]:
    """Turn "Redis is unreachable or cannot write" into `StoreUnavailableError` (HTTP 503)."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as exc:
        raise StoreUnavailableError(f"the run store is unavailable: {exc}") from exc
    except ResponseError as exc:
        if not str(exc).startswith(UNAVAILABLE_REPLIES):
            raise
        raise StoreUnavailableError(f"the run store is unavailable: {exc}") from exc
