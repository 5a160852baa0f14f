"""A Redis that may evict keys (any maxmemory-policy but noeviction) drops runs without a
trace: the pool refuses it at startup and in /readyz, or, when told to run on it anyway,
says so in its log and its metrics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.e2e.conftest import pool_env
from tests.e2e.processes import ACTIONPOOL, start, start_api
from tests.identity import ADMIN_HEADERS
from tests.redis_server import RedisServer

EVICTING = ("--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru")


@pytest.fixture
def evicting_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "evicting-redis", extra=EVICTING)
    server.start()
    yield server
    assert server.process is not None
    server.process.kill()
    server.process.wait()


@pytest.mark.parametrize("command", ["api", "worker"])
def test_the_pool_refuses_to_start_on_a_redis_that_may_evict(
    command: str, evicting_redis: RedisServer, tmp_path: Path
) -> None:
    # Given a Redis whose maxmemory-policy is allkeys-lru
    env = pool_env(evicting_redis.url, "apevict:")
    # When an API or a worker starts on it
    service = start(command, [ACTIONPOOL, command], env, tmp_path)
    exit_code = service.process.wait(60)
    # Then it refuses, saying why
    assert exit_code != 0
    assert "maxmemory-policy is 'allkeys-lru'" in service.log()


def test_told_to_run_on_an_evicting_redis_the_pool_says_so(
    evicting_redis: RedisServer, tmp_path: Path
) -> None:
    # Given an API told to run on an evicting Redis anyway
    env = pool_env(evicting_redis.url, "apevict:", ACTIONPOOL_ALLOW_EVICTION="true")
    api = start_api(env, tmp_path)
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{env['ACTIONPOOL_API_PORT']}", headers=ADMIN_HEADERS
        ) as http:
            # Then it is ready, warned at startup, and its metrics show the policy
            assert http.get("/readyz").status_code == 200
            metrics = http.get("/metrics").text
    finally:
        api.stop()
    assert "running anyway because ACTIONPOOL_ALLOW_EVICTION is set" in api.log()
    assert 'actionpool_redis_evicting{policy="allkeys-lru"} 1.0' in metrics


def test_a_redis_that_starts_evicting_makes_the_api_unready(
    private_redis: RedisServer, tmp_path: Path
) -> None:
    # Given an API ready on a Redis that evicts nothing
    env = pool_env(private_redis.url, "apevict:")
    api = start_api(env, tmp_path)
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{env['ACTIONPOOL_API_PORT']}", headers=ADMIN_HEADERS
        ) as http:
            assert http.get("/readyz").status_code == 200
            # When its policy is changed to evict
            redis.Redis.from_url(private_redis.url).config_set("maxmemory-policy", "allkeys-lru")
            ready = http.get("/readyz")
    finally:
        api.stop()
    # Then the API is no longer ready, and says why
    assert ready.status_code == 503
    assert ready.json()["error"]["name"] == "StoreMisconfiguredError"
    assert "allkeys-lru" in ready.json()["error"]["message"]
