"""Processes of a benchmark part: start them in their own process group, wait until they
answer, stop them all (even on error), and clean the part's Redis keys."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import redis

PYTHON = sys.executable
STOP_GRACE_S = 10.0


def delete_prefix(client: redis.Redis, prefix: str) -> int:
    """SCAN + DEL every key under the prefix; returns how many were deleted."""
    deleted = 0
    batch: list[bytes] = []
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        batch.append(key)
        if len(batch) >= 500:
            deleted += int(client.delete(*batch))  # type: ignore[arg-type]
            batch.clear()
    if batch:
        deleted += int(client.delete(*batch))  # type: ignore[arg-type]
    return deleted


class Group:
    """The processes one benchmark part started; `stop` ends them, newest first."""

    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        self.log_dir = log_dir
        self.env = env
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.procs):
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for proc in reversed(self.procs):
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
        self.procs.clear()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Signal the process group the process leads (prefork children included)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


@contextlib.contextmanager
def group(log_dir: Path, env: dict[str, str]) -> Iterator[Group]:
    started = Group(log_dir, env)
    try:
        yield started
    finally:
        started.stop()


def wait_for_http(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    """Until something accepts connections on the port (the API is up)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing answered on port {port} within {timeout_s} s")


def wait_for_log(
    path: Path, text: str, proc: subprocess.Popen[bytes], timeout_s: float = 30
) -> None:
    """Until the process's log contains the text (a Celery worker's "ready.")."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}; see {path}")
        if text in path.read_text(errors="replace"):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{text!r} not in {path} within {timeout_s} s")
