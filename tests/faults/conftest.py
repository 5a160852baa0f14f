"""Fault-injection fixtures: real API and worker processes, with `fault:*` actions installed
through the real `actionpool.actions` entry-point mechanism (a dist-info on PYTHONPATH)."""

from __future__ import annotations

import contextlib
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from actionpool.devstack import free_port, redis_server_binary
from tests import measurements
from tests.conftest import delete_prefix
from tests.e2e.conftest import pool_env
from tests.e2e.pools import FaultPool, install_plugin
from tests.e2e.processes import start_api


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


class RedisServer:
    """A private redis-server with AOF on, that a test can stop, kill and start again."""

    def __init__(
        self, data_dir: Path, appendfsync: str = "always", extra: tuple[str, ...] = ()
    ) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.data_dir = data_dir
        self.appendfsync = appendfsync
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.data_dir), "--appendonly", "yes",
                "--appendfsync", self.appendfsync, "--save", "",
                "--maxmemory-policy", "noeviction", *self.extra,
            ],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url)
        for _ in range(200):
            with contextlib.suppress(redis.ConnectionError, redis.BusyLoadingError):
                client.ping()
                return
            time.sleep(0.05)
        raise AssertionError("private redis-server did not start")

    def stop(self) -> None:
        """Stop it the way an orchestrator does (SIGTERM: it flushes the AOF and exits)."""
        assert self.process is not None
        self.process.terminate()
        self.process.wait(10)

    def kill(self) -> None:
        """Kill it (SIGKILL): a crash; with `appendfsync always` every reply was on disk."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)


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
