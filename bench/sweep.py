"""The recovery sweep's cost against the backlog: one pass over a pool with 0, 10,000 and
100,000 runs waiting on their queue, read off the real Redis (`python -m bench.sweep`, also
part of `make bench`).

A pass reads the runs that are due (none here) and, per queue, the oldest waiting message
and the runs that left the queue long before it (none here): its cost must not grow with the
waiting runs, an hour after they were queued as much as at once.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import redis
from cryptography.fernet import Fernet

from actionpool.actions.registry import build_registry
from actionpool.worker.broker.app import create_celery_app
from actionpool.worker.broker.envelope import Envelopes
from actionpool.worker.client import RunRequest, new_run
from actionpool.worker.clock import SYSTEM_CLOCK
from actionpool.worker.execution.dispatch import Dispatcher
from actionpool.worker.execution.executor import Executor, Timing
from actionpool.worker.execution.sweep import Sweeper
from actionpool.worker.settings import DEFAULT_REDIS_URL, PoolSettings
from actionpool.worker.store.records import RunContext
from actionpool.worker.store.store import RunStore

BACKLOGS = (0, 10_000, 100_000)
PASSES = 30
SEED_BATCH = 1000


class ShiftedClock:
    """The system clock, moved `shift` ahead (the sweep an hour after the runs queued)."""

    def __init__(self) -> None:
        self.shift = timedelta()

    def now(self) -> datetime:
        return SYSTEM_CLOCK.now() + self.shift


@dataclasses.dataclass(frozen=True)
class SweepFigure:
    waiting: int
    later: str
    pass_p50_ms: float
    pass_max_ms: float
    commands_per_pass: float
    copies: int


def seed(store: RunStore, dispatcher: Dispatcher, count: int) -> None:
    """`count` runs of debug:log recorded with their message, as the API records them."""
    action = build_registry().get("debug:log")
    request = RunRequest(input={"message": "x"}, context=RunContext(), secrets={})
    template = new_run(action, request, store.now())
    message = dispatcher.message(template, action, 1)  # one payload serves every seeded run
    for start in range(0, count, SEED_BATCH):
        pipe = store.redis.pipeline(transaction=False)
        script = store.scripts["create"]
        for _ in range(min(SEED_BATCH, count - start)):
            run = template.model_copy(update={"id": str(uuid.uuid4())})
            call = store.writes.create(
                run, message, fingerprint="bench", key_digest=None, secrets={}
            )
            script(keys=call.keys, args=call.args, client=pipe)
        pipe.execute()


def commands_processed(client: redis.Redis) -> int:
    return int(client.info("stats")["total_commands_processed"])  # type: ignore[index]


def measure(store: RunStore, sweeper: Sweeper, waiting: int, later: str) -> SweepFigure:
    durations_ms, commands, copies = [], [], 0
    idle = commands_processed(store.redis)
    reading = commands_processed(store.redis) - idle  # what reading the count costs
    for _ in range(PASSES):
        store.redis.delete(store.keys.sweep_lock)  # a new interval: the pass sweeps
        before = commands_processed(store.redis)
        started = time.perf_counter()
        outcomes = sweeper.sweep_once()
        durations_ms.append((time.perf_counter() - started) * 1000)
        commands.append(commands_processed(store.redis) - before - reading)
        copies += sum(1 for outcome in outcomes.values() if outcome == "redispatched")
    return SweepFigure(
        waiting,
        later,
        statistics.median(durations_ms),
        max(durations_ms),
        statistics.mean(commands),
        copies,
    )


def sweep_figures(redis_url: str, backlogs: tuple[int, ...] = BACKLOGS) -> list[SweepFigure]:
    figures = []
    for waiting in backlogs:
        prefix = f"apbench-sweep:{uuid.uuid4().hex[:8]}:"
        settings = PoolSettings(
            redis_url=redis_url, key_prefix=prefix, secrets_keys=[Fernet.generate_key().decode()]
        )
        clock = ShiftedClock()
        store = RunStore.from_settings(settings, clock)
        dispatcher = Dispatcher(Envelopes(create_celery_app(settings)), clock)
        executor = Executor(
            store,
            build_registry(),
            dispatcher,
            worker_name="bench",
            workspace_root=Path("/tmp/actionpool-bench"),
            timing=Timing(),
        )
        sweeper = Sweeper(executor.leases, executor, interval_s=5, redispatch_after_s=60)
        try:
            seed(store, dispatcher, waiting)
            figures.append(measure(store, sweeper, waiting, "at once"))
            clock.shift = timedelta(hours=1)
            figures.append(measure(store, sweeper, waiting, "1 h later"))
        finally:
            delete_prefix(store.redis, prefix)
            store.close()
    return figures


def delete_prefix(client: redis.Redis, prefix: str) -> None:
    batch: list[str] = []
    for key in client.scan_iter(match=f"{prefix}*", count=5000):
        batch.append(key)
        if len(batch) >= 5000:
            client.unlink(*batch)
            batch = []
    if batch:
        client.unlink(*batch)


HEADER = ["runs waiting", "sweep", "pass p50 ms", "pass max ms", "Redis commands per pass",
          "copies put out"]  # fmt: skip


def rows(figures: list[SweepFigure]) -> list[list[str]]:
    return [
        [f"{f.waiting:,}", f.later, f"{f.pass_p50_ms:.2f}", f"{f.pass_max_ms:.2f}",
         f"{f.commands_per_pass:.0f}", str(f.copies)]
        for f in figures
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--backlogs", type=int, nargs="*", default=list(BACKLOGS))
    args = parser.parse_args(argv)
    figures = sweep_figures(args.redis_url, tuple(args.backlogs))
    print(json.dumps([dataclasses.asdict(f) for f in figures], indent=2))


if __name__ == "__main__":
    main()
