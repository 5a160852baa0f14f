"""Start and stop the pool's real processes (uvicorn, celery worker, redis-server) for tests."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ACTIONPOOL = str(Path(sys.executable).parent / "actionpool")


@dataclasses.dataclass
class Service:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def stop(self, timeout_s: float = 20) -> int:
        """SIGTERM the whole process group, SIGKILL what is left after `timeout_s`."""
        self.signal_group(signal.SIGTERM)
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.signal_group(signal.SIGKILL)
            return self.process.wait(5)

    def wait_for_log(self, text: str, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if text in self.log():
                return
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited early:\n{self.log()[-3000:]}")
            time.sleep(0.05)
        raise AssertionError(f"{self.name} never logged {text!r}:\n{self.log()[-3000:]}")


def start(
    name: str, command: list[str], env: dict[str, str], log_dir: Path, cwd: Path | None = None
) -> Service:
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Service(name, process, log_path)


def start_api(env: dict[str, str], log_dir: Path, name: str = "api") -> Service:
    service = start(name, [ACTIONPOOL, "api"], env, log_dir)
    wait_http(f"http://127.0.0.1:{env['ACTIONPOOL_API_PORT']}/healthz", service)
    return service


def start_worker(env: dict[str, str], log_dir: Path, name: str = "worker") -> Service:
    service = start(name, [ACTIONPOOL, "worker"], env, log_dir)
    service.wait_for_log(" ready.")
    return service


def wait_http(url: str, service: Service, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if service.process.poll() is not None:
            raise AssertionError(f"{service.name} exited early:\n{service.log()[-3000:]}")
        time.sleep(0.05)
    raise AssertionError(f"{url} did not answer within {timeout_s} s:\n{service.log()[-3000:]}")
