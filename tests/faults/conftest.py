"""Fault-injection fixtures: real API and worker processes, with `fault:*` actions installed
through the real `actionpool.actions` entry-point mechanism (a dist-info on PYTHONPATH)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from tests import measurements
from tests.conftest import delete_prefix
from tests.e2e.conftest import pool_env
from tests.e2e.pools import FaultPool, install_plugin
from tests.e2e.processes import start_api
from tests.redis_server import RedisServer


@pytest.fixture
def fault_pool(redis_url: str, tmp_path: Path) -> Iterator[Callable[..., FaultPool]]:
    """Start a pool: `fault_pool(workers=2, **extra_env)`."""
    started: list[FaultPool] = []

    def start(workers: int = 2, pool_redis_url: str | None = None, **extra: str) -> FaultPool:
        prefix = f"apfault:{uuid.uuid4().hex[:8]}:"
        site = install_plugin(tmp_path / "site")
        env = pool_env(pool_redis_url or redis_url, prefix, PYTHONPATH=str(site), **extra)
        pool = FaultPool(env, start_api(env, tmp_path), tmp_path)
        started.append(pool)
        for _ in range(workers):
            pool.add_worker()
        return pool

    yield start
    for pool in started:
        pool.http.close()
        for service in [pool.api, *pool.workers]:
            service.stop()
        delete_prefix(redis.Redis.from_url(redis_url), pool.prefix)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis-data")
    server.start()
    yield server
    if server.process and server.process.poll() is None:
        server.process.kill()
        server.process.wait()


def report(line: str) -> None:
    """A figure for the "fault injection: measured" summary."""
    measurements.report("fault injection", line)
