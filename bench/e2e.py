"""(b) End to end: the pool (its API and worker) and plain Celery (the bare endpoint and a
no-op worker) both up on the same Redis; the loaded batches alternate between the two so
that drift on the machine falls on both sides alike."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from typing import Any

from bench.cpu import CpuUse
from bench.measure import Drained, PlainRuns, PoolRuns, Timing, wait_for
from bench.parts import BARE_API, POOL_API, Config, EndToEnd, Part
from bench.procs import PYTHON, group

POOL_WORKER = [PYTHON, "-m", "actionpool.cli", "worker"]
PLAIN_WORKER = [PYTHON, "-m", "bench.plain"]
WARMUP_RUNS = 40
LOADED_ROUNDS = 2
DRAIN_TIMEOUT_S = 180.0

Batch = Callable[[Callable[[], object], int], tuple[list[Timing], int]]
"""Send runs (the callable), wait until `n` more ended; their timings and how many failed."""


@dataclasses.dataclass
class Side:
    part: Part
    argv: tuple[list[str], list[str]]
    batch: Batch
    loaded: list[list[Timing]] = dataclasses.field(default_factory=list)
    failed: int = 0
    cpu: CpuUse | None = None

    def start(self, stack: contextlib.ExitStack) -> None:
        procs = stack.enter_context(group(self.part.config.out_dir, self.part.env()))
        self.part.start_api(procs, self.argv[0])
        self.part.start_worker(procs, self.argv[1])
        self.batch(lambda: self.part.closed(WARMUP_RUNS), WARMUP_RUNS)

    def run_loaded(self, runs: int) -> None:
        """A closed-loop burst of `runs`, drained; CPU metered from first send to last end."""
        loadgen: dict[str, Any] = {}
        meter = self.part.meter()
        meter.start()
        timings, failed = self.batch(lambda: loadgen.update(self.part.closed(runs)), runs)
        cpu = meter.stop(loadgen["cpu_s"])
        self.loaded.append(timings)
        self.failed += failed
        self.cpu = cpu if self.cpu is None else self.cpu.plus(cpu)

    def run_paced(self, runs: int) -> EndToEnd:
        timings, failed = self.batch(self.part.paced, runs)
        if self.cpu is None:
            raise RuntimeError("run_loaded first")
        paced = Drained.of([timings], failed)
        return EndToEnd(Drained.of(self.loaded, self.failed), paced, self.cpu)


def pool_side(config: Config) -> Side:
    part = Part(config, "e2e-pool")
    runs = PoolRuns(part.redis, part.prefix)
    seen: set[str] = set()

    def batch(send: Callable[[], object], n: int) -> tuple[list[Timing], int]:
        send()
        wait_for(runs.ended, len(seen) + n, DRAIN_TIMEOUT_S)
        ids = runs.ids() - seen
        seen.update(ids)
        return runs.timings(ids)

    return Side(part, (POOL_API, POOL_WORKER), batch)


def plain_side(config: Config) -> Side:
    part = Part(config, "e2e-plain")
    runs = PlainRuns(part.redis, part.prefix)

    def batch(send: Callable[[], object], n: int) -> tuple[list[Timing], int]:
        send()
        wait_for(runs.ended, n, DRAIN_TIMEOUT_S)
        return runs.take(), 0

    return Side(part, (BARE_API, PLAIN_WORKER), batch)


def end_to_end(config: Config) -> tuple[EndToEnd, EndToEnd]:
    """Plain Celery's figures and the pool's: warm-up, loaded rounds (throughput, CPU), then a
    paced batch each (dispatch latency), then a profile of the pool's processes."""
    plain, pool = plain_side(config), pool_side(config)
    try:
        with contextlib.ExitStack() as stack:
            for side in (plain, pool):
                side.start(stack)
            for _ in range(LOADED_ROUNDS):
                for side in (plain, pool):
                    side.run_loaded(config.e2e_runs // LOADED_ROUNDS)
            results = plain.run_paced(config.paced_runs), pool.run_paced(config.paced_runs)
            if config.profiler:
                targets = {"e2e-pool-api": pool.part.pids["api"]}
                targets["e2e-pool-worker"] = pool.part.pids["worker"]
                config.profiler.record(targets, pool.part.for_seconds)
    finally:
        for side in (plain, pool):
            side.part.cleanup()
    return results
