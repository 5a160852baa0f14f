"""`make dev` on its own: embedded Redis, API and worker, a run served, Ctrl-C stops it all."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import psutil

from actionpool.devcredentials import TOKEN_FILE
from actionpool.devstack import free_port
from tests.e2e.processes import ACTIONPOOL

ROOT = Path(__file__).resolve().parents[2]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until(predicate, timeout_s: float, what: str, output: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} within {timeout_s} s; output:\n{output.read_text()[-4000:]}")


def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_make_dev_serves_a_run_with_an_embedded_redis(tmp_path: Path) -> None:
    # Given no Redis URL in the environment
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACTIONPOOL_")}
    env.update(ACTIONPOOL_API_PORT=str(port), ACTIONPOOL_DEV_DATA_DIR=str(tmp_path / "data"))
    output = tmp_path / "make-dev.log"
    # When `make dev` runs
    with output.open("wb") as out:
        make = subprocess.Popen(
            ["make", "-C", str(ROOT), "dev"], env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: healthy(url), 60, "the API did not answer", output)
        # Then it printed a development token, and serves the README's first run with it
        token = (tmp_path / "data" / TOKEN_FILE).read_text().strip()
        assert token in output.read_text()
        response = httpx.post(
            f"{url}/v1/actions/debug:sleep/runs?wait=30",
            json={"input": {"seconds": 1}},
            headers={"Authorization": f"Bearer {token}"},
            timeout=40,
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "completed"
        # And `actionpool smoke` passes against it
        smoke = subprocess.run(
            [ACTIONPOOL, "smoke", "--url", url, "--token", token],
            env={**env, "ACTIONPOOL_CONFIG": str(tmp_path / "none.yaml"), "COLUMNS": "200"},
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert smoke.returncode == 0, smoke.stdout + smoke.stderr
        assert "FAIL" not in smoke.stdout and "PASS" in smoke.stdout
        redis_port = int(
            re.search(r"embedded Redis at redis://127.0.0.1:(\d+)", output.read_text())[1]
        )  # type: ignore[index]
        assert (tmp_path / "data" / "redis.log").exists()
        stack = psutil.Process(make.pid).children(recursive=True)
        names = " ".join(" ".join(p.cmdline()) for p in stack)
        assert "redis-server" in names and " api" in names and " worker" in names
        # When Ctrl-C is pressed (SIGINT to the foreground process group)
        os.killpg(make.pid, signal.SIGINT)
        make.wait(40)
        # Then the API, the worker (with its pool children) and the embedded Redis are all gone
        _gone, alive = psutil.wait_procs(stack, timeout=5)
        assert alive == []
        assert not port_open(port)
        assert not port_open(redis_port)
        assert "Traceback" not in output.read_text()
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
