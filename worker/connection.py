"""Redis clients built from settings: one for the store, one for async waiting in the API."""

from __future__ import annotations

from typing import Any

from redis import Redis
from redis.asyncio import Redis as AsyncRedis

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
