"""Redis clients built from settings: one for the store, one for async waiting in the API."""

from __future__ import annotations

from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from worker.settings import PoolSettings


def connect(settings: PoolSettings) -> Redis:
    return Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_timeout=settings.redis_socket_timeout_s,
        socket_connect_timeout=settings.redis_socket_timeout_s,
        health_check_interval=30,
    )


def connect_async(settings: PoolSettings) -> AsyncRedis:
    return AsyncRedis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_timeout=settings.redis_socket_timeout_s,
        socket_connect_timeout=settings.redis_socket_timeout_s,
        health_check_interval=30,
    )
