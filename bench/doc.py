"""docs/benchmarks.md: what `make bench` measured, regenerated on every run; the notes
below the marker (the analysis, written by hand) are kept."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import redis

from bench.profile import Summary
from bench.report import HEADER, NOTES_MARKER, Results, markdown_table, table_rows, verdicts

PACKAGES = ("celery", "kombu", "redis", "fastapi", "starlette", "uvicorn", "uvloop", "httptools")


def machine(redis_url: str) -> dict[str, str]:
    cpu = "unknown"
    with Path("/proc/cpuinfo").open() as info:
        cpu = next((line.split(":", 1)[1].strip() for line in info if "model name" in line), cpu)
    server = redis.Redis.from_url(redis_url).info("server")
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
  (1 worker, access log off, uvloop + httptools). Both routes are `async def` and publish
  from starlette's thread pool (`run_in_threadpool`); the bare one only calls
  `apply_async` on a Celery app built from the pool's `celery_config`.
- (a) enqueue: no worker running; {c.warmup_s:g} s warm-up, then {c.duration_s:g} s measured;
  p50/p99 are request latencies seen by the load generator.
- (b) end to end: API plus worker (`actionpool worker` vs `bench/plain.py`: same
  `celery_config`, same `worker_argv`: prefork, concurrency {c.worker_concurrency}, prefetch 1,
  late ack, no gossip/mingle, log level INFO). The plain side is the bare endpoint of (a)
  feeding a no-op task. {c.e2e_runs} runs sent by the closed loop: throughput = runs /
  (last finished - first accepted). Then {c.paced_runs} runs paced at {c.paced_rate:g}/s
  (below capacity, so no queueing) for dispatch latency = started - accepted:
  pool `startedAt` of attempt 1 - run `createdAt`; plain: time at task start - time taken in
  the endpoint just before `apply_async` (passed in the task's args; the task records it
  with one RPUSH).
- Target for dispatch p50 is checked on the paced batch; the loaded batch's dispatch
  figures mostly measure queueing behind the burst."""


def _profiles(summaries: list[Summary], seconds: float) -> str:
    if not summaries:
        return "Not profiled (py-spy not found: `.venv/bin/pip install py-spy`, then re-run)."
    parts = [
        f"py-spy, {seconds:g} s at 200 Hz under the closed-loop load, child processes included;"
        " shares are of on-CPU samples (idle excluded). Raw folded stacks: bench/results/."
    ]
    for s in summaries:
        own = "\n".join(f"| {share:.1f}% | `{frame}` |" for frame, share in s.top_self)
        product = "\n".join(f"| {share:.1f}% | `{frame}` |" for frame, share in s.top_product)
        parts.append(
            f"### {s.name} ({s.samples} samples, ~{s.busy_cores:.2f} cores busy)\n\n"
            f"| self | function |\n|---|---|\n{own}\n\n"
            f"| inclusive | product function |\n|---|---|\n{product or '| - | none |'}"
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

Written by `make bench` (`.venv/bin/python -m bench.run`), last run {when}.
Everything above the notes marker is regenerated; re-run rather than edit it.

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

## Profiles

{_profiles(r.profiles, seconds)}

"""


def write_doc(path: Path, r: Results, profile_seconds: float) -> None:
    notes = ""
    if path.exists():
        _, marker, kept = path.read_text().partition(NOTES_MARKER)
        notes = kept if marker else ""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(r, profile_seconds) + NOTES_MARKER + (notes or "\n"))
