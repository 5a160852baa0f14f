"""CPU time each process spent during a measured stretch: on a small machine the API, the
worker, Redis and the load generator share the cores, so CPU per run bounds throughput."""

from __future__ import annotations

import dataclasses
import time

import psutil  # type: ignore[import-untyped]
import redis


@dataclasses.dataclass(frozen=True)
class CpuUse:
    """CPU seconds per process (tree) over `wall_s`; `machine` is every core's busy time."""

    seconds: dict[str, float]
    wall_s: float

    def ms_per(self, count: int) -> dict[str, float]:
        return {name: s * 1000 / count for name, s in self.seconds.items()} if count else {}

    def plus(self, other: CpuUse) -> CpuUse:
        names = self.seconds.keys() | other.seconds.keys()
        seconds = {n: self.seconds.get(n, 0.0) + other.seconds.get(n, 0.0) for n in names}
        return CpuUse(seconds, self.wall_s + other.wall_s)

    def cores_busy(self) -> float:
        return self.seconds.get("machine", 0.0) / self.wall_s if self.wall_s else 0.0


BUSY_FIELDS = ("user", "nice", "system", "irq", "softirq")
"""What counts as a busy core (not idle, I/O wait, or time stolen by a hypervisor)."""


def _tree_cpu_s(pid: int) -> float:
    """User + system CPU of a process and its live descendants."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _machine_busy_s() -> float:
    times = psutil.cpu_times()
    busy: float = sum(getattr(times, name, 0.0) for name in BUSY_FIELDS)
    return busy


def _redis_cpu_s(client: redis.Redis) -> float:
    info: dict[str, float] = client.info("cpu")  # type: ignore[assignment]
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


class CpuMeter:
    """Snapshot at `start`, difference at `stop` (the load generator reports its own)."""

    def __init__(self, client: redis.Redis, pids: dict[str, int]) -> None:
        self.client = client
        self.pids = dict(pids)
        self.before: dict[str, float] = {}
        self.started = 0.0

    def _snapshot(self) -> dict[str, float]:
        values = {name: _tree_cpu_s(pid) for name, pid in self.pids.items()}
        values["redis"] = _redis_cpu_s(self.client)
        values["machine"] = _machine_busy_s()
        return values

    def start(self) -> None:
        self.before = self._snapshot()
        self.started = time.monotonic()

    def stop(self, loadgen_s: float) -> CpuUse:
        after = self._snapshot()
        seconds = {name: after[name] - self.before[name] for name in after}
        seconds["loadgen"] = loadgen_s
        return CpuUse(seconds, time.monotonic() - self.started)
