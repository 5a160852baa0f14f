"""A private redis-server for tests that stop, kill or inspect their Redis (its AOF on disk)."""

from __future__ import annotations

import contextlib
import subprocess
import time
from pathlib import Path

import redis

from actionpool.devstack import free_port, redis_server_binary


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
