"""docs/benchmarks.md: what `make bench` measured, regenerated on every run; the notes
below the marker (the analysis, written by hand) are kept."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import redis

from bench.breakdown import Breakdown
from bench.e2e import LOADED_ROUNDS
from bench.profile import Summary
from bench.report import (
    CPU_HEADER,
    HEADER,
    NOTES_MARKER,
    STEP_HEADER,
    Results,
    cpu_rows,
    markdown_table,
    step_rows,
    table_rows,
    verdicts,
)
from bench.sweep import HEADER as SWEEP_HEADER
from bench.sweep import PASSES as SWEEP_PASSES
from bench.sweep import rows as sweep_rows

PACKAGES = ("celery", "kombu", "redis", "fastapi", "starlette", "uvicorn", "uvloop", "httptools")


def machine(redis_url: str) -> dict[str, str]:
    cpu = "unknown"
    with Path("/proc/cpuinfo").open() as info:
        cpu = next((line.split(":", 1)[1].strip() for line in info if "model name" in line), cpu)
    server: dict[str, str] = redis.Redis.from_url(redis_url).info("server")  # type: ignore[assignment]
    return {
        "CPU": f"{os.cpu_count()} cores ({cpu})",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "Redis": f"{server['redis_version']} at {redis_url}",
        "Packages": ", ".join(f"{p} {version(p)}" for p in PACKAGES),
    }


def _method(r: Results) -> str:
    c = r.config
    return f"""\
- Same Redis for every part, each part under its own key prefix (deleted afterwards).
- Load generator: `bench/loadgen.py`, a keep-alive HTTP/1.1 client on raw asyncio streams
  (uvloop) in its own process, the same for every endpoint: closed loop with
  {c.connections} connections, or open loop at a fixed rate.
- APIs: `actionpool api` and `bench/bare_api.py` run with the same `uvicorn.run` arguments
  (1 worker, access log off, uvloop + httptools). Both routes are `async def`. The bare one
  only calls `apply_async` (in the anyio thread pool: it blocks) on a Celery app built from
  the pool's `celery_config`: kombu's publish, two Redis round trips (the queue's bindings,
  then the push). The pool validates the input, builds the same Celery message and commits
  the run record, its indexes, metrics and the message in one Lua call from the event loop
  (redis.asyncio): one round trip.
- (a) enqueue: no worker running; {c.warmup_s:g} s warm-up, then {c.duration_s:g} s measured;
  p50/p99 are request latencies seen by the load generator.
- (b) end to end: API plus worker (`actionpool worker` vs `bench/plain.py`: same
  `celery_config`, same `worker_argv`: prefork, concurrency {c.worker_concurrency}, prefetch 1,
  late ack, no gossip/mingle, log level INFO), both sides up at once. The plain side is the
  bare endpoint of (a) feeding a no-op task; the pool runs `debug:log` (validates its input,
  logs one line, returns it). {c.e2e_runs} runs per side, sent by the closed loop in
  {LOADED_ROUNDS} bursts alternating plain, pool, plain, pool; throughput = runs / the bursts'
  summed spans (first accepted to last finished). Then {c.paced_runs} runs paced at
  {c.paced_rate:g}/s (below capacity, so no queueing) for dispatch latency = started -
  accepted: pool `startedAt` of attempt 1 - run `createdAt`; plain: time at task start - time
  taken in the endpoint just before `apply_async` (passed in the task's args; the task
  records it with one RPUSH).
- Target for dispatch p50 is checked on the paced batch; the loaded batch's dispatch
  figures mostly measure queueing behind the burst."""


def _share_table(title: str, rows: list[tuple[str, float]], limit: int) -> str:
    lines = [f"| {share:.1f}% | `{frame}` |" for frame, share in rows[:limit]]
    return "\n".join([f"| {title} | function |", "|---|---|", *(lines or ["| - | none |"])])


def _breakdown(b: Breakdown) -> str:
    profiles = "\n\n".join(
        f"cProfile of `{step}` ({b.calls} calls), inclusive share of the product's functions and"
        f" of the library calls they make:\n\n{_share_table('share', rows, 14)}"
        for step, rows in b.profiles.items()
    )
    return f"""\
The same steps in one process, one thread, no server and no load generator
(`bench/breakdown.py`, {b.calls} calls each, same Redis):

{markdown_table(STEP_HEADER, step_rows(b))}

{profiles}"""


def _py_spy(summaries: list[Summary], seconds: float) -> str:
    if not summaries:
        return "No py-spy profile (not installed: `.venv/bin/pip install py-spy`, then re-run)."
    parts = [
        f"py-spy `--gil` of the pool's processes, {seconds:g} s at 200 Hz under the closed-loop"
        " load once the measured parts are done (worker: children included, their GIL time adds"
        " up). Shares are of the samples where a thread held the GIL, i.e. ran Python code;"
        " raw folded stacks are in bench/results/."
    ]
    for s in summaries:
        parts.append(
            f"**{s.name}**: GIL held {s.gil_busy:.2f} of the time ({s.samples} samples).\n\n"
            f"{_share_table('self', s.top_self, 8)}\n\n"
            f"{_share_table('inclusive', s.top_product, 10)}"
        )
    return "\n\n".join(parts)


def render(r: Results, seconds: float) -> str:
    machine_lines = "\n".join(f"- {k}: {v}" for k, v in r.machine.items())
    checks = "\n".join(
        f"| {v.name} | {v.value} | {v.target} | {'met' if v.met else '**missed**'} |"
        for v in verdicts(r)
    )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""\
# Benchmarks

Written by `make bench` (`.venv/bin/python -m bench.run`; `--help` lists shorter settings
and `--no-doc`). Everything above the notes marker is regenerated; re-run rather than edit it.
Last run: {when}.

## Machine

{machine_lines}

## Method

{_method(r)}

## Figures

{markdown_table(HEADER, table_rows(r))}

## Against the targets

| ratio | measured | target | |
|---|---|---|---|
{checks}

## Where the time goes

CPU ms per request (a) or per run (b: the loaded batch, sending and draining it), by
process; `all` is every process on the machine and `cores busy` is all / wall time, out of
{os.cpu_count()}:

{markdown_table(CPU_HEADER, cpu_rows(r))}

{_breakdown(r.breakdown)}

{_py_spy(r.profiles, seconds)}

## The recovery sweep against the backlog

`bench/sweep.py`: one sweep pass (median and worst of {SWEEP_PASSES}) over a pool with that
many runs waiting on their queue, no worker taking them, and the Redis commands a pass sends;
then the same an hour later, when every waiting run is long past the redispatch wait:

{markdown_table(SWEEP_HEADER, sweep_rows(r.sweep))}

"""


def write_doc(path: Path, r: Results, profile_seconds: float) -> None:
    notes = ""
    if path.exists():
        _, marker, kept = path.read_text().partition(NOTES_MARKER)
        notes = kept if marker else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(r, profile_seconds) + NOTES_MARKER + (notes or "\n"))
