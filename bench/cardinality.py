"""Label cardinality: `/metrics` and `/v1/stats?groupBy=owner` before and after 2,000 runs with
random 500-character `owner` and `templateRef`, on the real Redis and the real Lua scripts
(`python -m bench.cardinality`; docs/observability.md#metrics quotes it).

Each hostile run is created through the API's client and, unless `--no-execute`, run by an
executor, so the run counters and the duration histogram fill as on a pool that ran them. It
prints the exposition's size, the time to read the snapshot and to render it (median of
`--renders`), the /v1/stats answer's size, and how late the event loop answers (p95, max of a
1 ms ticker) while three scrapes run at once, rendering in the loop (as before) and off it
(`render_pool_metrics`; the renders still share the GIL, so a stall of a few switch intervals
remains).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import random
import shutil
import statistics
import string
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import SecretStr

from actionpool.actions.registry import build_registry
from actionpool.worker.client import PoolClient, RunRequest
from actionpool.worker.execution.executor import Executor, Timing
from actionpool.worker.settings import DEFAULT_REDIS_URL, PoolSettings
from actionpool.worker.store.records import RunContext
from actionpool.worker.store.store import RunStore
from actionpool.worker.telemetry.metrics import read_snapshot, render, render_pool_metrics
from actionpool.worker.telemetry.stats import GroupBy, read_figures
from bench.procs import delete_prefix

HOSTILE_RUNS = 2_000
HOSTILE_CHARS = 500
NORMAL_RUNS = 20
SCRAPERS = 3
ALPHABET = string.ascii_letters + string.digits + "é/:-"


@dataclasses.dataclass(frozen=True)
class Figure:
    when: str
    metrics_bytes: int
    metrics_fields: int
    read_ms: float
    render_ms: float
    stats_bytes: int
    stats_groups: int
    stall_in_loop_p95_ms: float
    stall_in_loop_max_ms: float
    stall_off_loop_p95_ms: float
    stall_off_loop_max_ms: float


def hostile(rng: random.Random) -> str:
    return "".join(rng.choices(ALPHABET, k=HOSTILE_CHARS))


async def create_runs(
    client: PoolClient, executor: Executor | None, contexts: list[RunContext]
) -> None:
    for context in contexts:
        request = RunRequest(input={"message": "x"}, context=context, secrets={})
        run = (await client.create_run("debug:log", request)).run
        if executor is not None:
            await asyncio.to_thread(executor.run_attempt, run.id, 1, run.queue)


async def stalls_ms(scrape: Callable[[], Awaitable[bytes]], rounds: int = 10) -> list[float]:
    """How late a 1 ms ticker on the event loop woke (p95, max) while `SCRAPERS` scrapes ran
    at once, `rounds` times."""
    late_ms: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            late_ms.append((time.perf_counter() - before) * 1000 - 1)

    tick = asyncio.create_task(ticker())
    for _ in range(rounds):
        await asyncio.gather(*(scrape() for _ in range(SCRAPERS)))
    done.set()
    await tick
    late_ms.sort()
    return [round(late_ms[int(len(late_ms) * 0.95)], 2), round(late_ms[-1], 2)]


async def measure(client: PoolClient, when: str, renders: int) -> Figure:
    store, queues = client.store, client.registry.queues()
    started = time.perf_counter()
    snapshot = await read_snapshot(store, queues)
    read_ms = (time.perf_counter() - started) * 1000
    times_ms = []
    for _ in range(renders):
        started = time.perf_counter()
        text = render(snapshot)
        times_ms.append((time.perf_counter() - started) * 1000)
    now = client.now()
    figures = await read_figures(
        store, GroupBy.OWNER, now - timedelta(days=1), now, max_runs=50_000
    )

    async def in_loop() -> bytes:
        return render(await read_snapshot(store, queues))

    await render_pool_metrics(store, queues)  # the first call starts the worker thread
    return Figure(
        when,
        len(text),
        len(snapshot.fields),
        round(read_ms, 2),
        round(statistics.median(times_ms), 2),
        len(figures.model_dump_json(by_alias=True)),
        len(figures.groups),
        *await stalls_ms(in_loop),
        *await stalls_ms(lambda: render_pool_metrics(store, queues)),
    )


async def cardinality(redis_url: str, *, execute: bool, renders: int, seed: int) -> list[Figure]:
    prefix = f"apbench-cardinality:{uuid.uuid4().hex[:8]}:"
    key = SecretStr(Fernet.generate_key().decode())
    settings = PoolSettings(redis_url=redis_url, key_prefix=prefix, secrets_keys=[key])
    registry = build_registry()
    client = PoolClient.from_settings(settings, registry)
    store = RunStore.from_settings(settings)
    workspace = Path(tempfile.mkdtemp(prefix="actionpool-bench-"))
    executor = (
        Executor(
            store,
            registry,
            client.dispatcher,
            worker_name="bench",
            workspace_root=workspace,
            timing=Timing(),
        )
        if execute
        else None
    )
    rng = random.Random(seed)
    try:
        normal = [
            RunContext(template_ref=f"template:default/t{n % 4}", owner=f"group:default/o{n % 4}")
            for n in range(NORMAL_RUNS)
        ]
        await create_runs(client, executor, normal)
        before = await measure(client, f"{NORMAL_RUNS} normal runs", renders)
        attack = [
            RunContext(template_ref=hostile(rng), owner=hostile(rng)) for _ in range(HOSTILE_RUNS)
        ]
        await create_runs(client, executor, attack)
        after = await measure(client, f"+ {HOSTILE_RUNS:,} hostile runs", renders)
        return [before, after]
    finally:
        delete_prefix(store.redis, prefix)
        store.close()
        await client.close()
        shutil.rmtree(workspace, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--no-execute", action="store_true", help="create the runs only")
    parser.add_argument("--renders", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    figures = asyncio.run(
        cardinality(
            args.redis_url, execute=not args.no_execute, renders=args.renders, seed=args.seed
        )
    )
    print(json.dumps([dataclasses.asdict(f) for f in figures], indent=2))


if __name__ == "__main__":
    main()
