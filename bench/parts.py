"""What every measured part shares (settings, its own processes, port and key prefix on the
same Redis, the load generator), and (a) enqueue: the pool's API vs the bare endpoint."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import redis
from cryptography.fernet import Fernet

from actionpool.api.identity.statictoken import hash_token
from actionpool.devstack import free_port
from bench.cpu import CpuMeter, CpuUse
from bench.loadgen import BENCH_TOKEN
from bench.measure import Dist, Drained
from bench.procs import PYTHON, Group, delete_prefix, group, wait_for_http, wait_for_log
from bench.profile import Profiler

ACTION = "debug:log"
PATH = f"/v1/actions/{ACTION}/runs"
POOL_API = [PYTHON, "-m", "actionpool.cli", "api"]
BARE_API = [PYTHON, "-m", "bench.bare_api"]


@dataclasses.dataclass(frozen=True)
class Config:
    redis_url: str
    out_dir: Path
    connections: int = 16
    warmup_s: float = 2.0
    duration_s: float = 20.0
    e2e_runs: int = 6000
    paced_rate: float = 50.0
    paced_runs: int = 600
    worker_concurrency: int = 4
    profiler: Profiler | None = None


@dataclasses.dataclass(frozen=True)
class Enqueue:
    requests: int
    per_s: float
    latency: Dist
    cpu: CpuUse
    cpu_requests: int
    """Requests the CPU was spent on (the warm-up's included)."""


@dataclasses.dataclass(frozen=True)
class EndToEnd:
    loaded: Drained
    paced: Drained
    cpu: CpuUse
    """CPU spent on the loaded batch (sending and draining it)."""


BENCH_CREDENTIAL = {
    "subject": "bench",
    "sha256": hash_token(BENCH_TOKEN),
    "scopes": ["admin"],
    "owners": ["*"],
}


class Part:
    """One side of one comparison: env (own prefix and port), processes, cleanup."""

    def __init__(self, config: Config, name: str) -> None:
        self.config = config
        self.name = name
        self.prefix = f"actionpool-bench:{uuid.uuid4().hex[:8]}:{name}:"
        self.port = free_port()
        self.redis = redis.Redis.from_url(config.redis_url)
        self.url = f"http://127.0.0.1:{self.port}{PATH}"
        self.pids: dict[str, int] = {}
        self.secrets_keys = json.dumps([Fernet.generate_key().decode()])

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ACTIONPOOL_")}
        env.update(
            ACTIONPOOL_REDIS_URL=self.config.redis_url,
            ACTIONPOOL_KEY_PREFIX=self.prefix,
            ACTIONPOOL_API_HOST="127.0.0.1",
            ACTIONPOOL_API_PORT=str(self.port),
            ACTIONPOOL_WORKER_CONCURRENCY=str(self.config.worker_concurrency),
            ACTIONPOOL_WORKER_NAME=f"{self.name}@bench",
            ACTIONPOOL_WORKSPACE_ROOT=str(self.config.out_dir / "workspaces"),
            ACTIONPOOL_SECRETS_KEYS=self.secrets_keys,
            ACTIONPOOL_STATIC_TOKENS=json.dumps([BENCH_CREDENTIAL]),
            ACTIONPOOL_RATE_LIMIT_CREATE="10000000/minute",  # measured, never reached
        )
        return env

    def start_api(self, procs: Group, argv: list[str]) -> subprocess.Popen[bytes]:
        proc = procs.start(f"{self.name}-api", argv)
        wait_for_http(self.port, proc)
        self.pids["api"] = proc.pid
        return proc

    def start_worker(self, procs: Group, argv: list[str]) -> subprocess.Popen[bytes]:
        proc = procs.start(f"{self.name}-worker", argv)
        wait_for_log(self.config.out_dir / f"{self.name}-worker.log", " ready.", proc)
        self.pids["worker"] = proc.pid
        return proc

    def load(self, *args: str) -> dict[str, Any]:
        """Run the load generator against this part's API; its JSON answer."""
        out = self.config.out_dir / f"{self.name}-load-{uuid.uuid4().hex[:6]}.json"
        argv = [PYTHON, "-m", "bench.loadgen", self.url, *args, f"--out={out}"]
        subprocess.run(argv, capture_output=True, check=True, text=True, timeout=400)
        result: dict[str, Any] = json.loads(out.read_text())
        bad = {code: n for code, n in result["statuses"].items() if code != "202"}
        if bad:
            raise RuntimeError(f"{self.name}: answers other than 202: {bad}")
        return result

    def closed(self, requests: int, warmup_s: float = 0.0) -> dict[str, Any]:
        return self.load(
            f"--concurrency={self.config.connections}",
            f"--warmup={warmup_s}",
            f"--requests={requests}",
        )

    def for_seconds(self, seconds: float) -> dict[str, Any]:
        return self.load(f"--concurrency={self.config.connections}", f"--duration={seconds}")

    def paced(self) -> dict[str, Any]:
        return self.load(f"--rate={self.config.paced_rate}", f"--requests={self.config.paced_runs}")

    def meter(self) -> CpuMeter:
        return CpuMeter(self.redis, self.pids)

    def cleanup(self) -> None:
        delete_prefix(self.redis, self.prefix)


def enqueue(config: Config, name: str, api: list[str], profile: bool = False) -> Enqueue:
    """(a) The API alone (no worker): closed loop for the configured duration."""
    part = Part(config, name)
    try:
        with group(config.out_dir, part.env()) as procs:
            proc = part.start_api(procs, api)
            meter = part.meter()
            meter.start()
            result = part.load(
                f"--concurrency={config.connections}",
                f"--warmup={config.warmup_s}",
                f"--duration={config.duration_s}",
            )
            cpu = meter.stop(result["cpu_s"])
            if config.profiler and profile:
                config.profiler.record({name: proc.pid}, part.for_seconds)
    finally:
        part.cleanup()
    return Enqueue(
        requests=result["requests"],
        per_s=result["requests"] / result["elapsed_s"],
        latency=Dist.of_seconds(result["latencies_s"]),
        cpu=cpu,
        cpu_requests=result["requests"] + result["warmup_requests"],
    )
