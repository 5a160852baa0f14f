"""The figures as a table on stdout and as docs/benchmarks.md."""

from __future__ import annotations

import dataclasses
import math

from bench.breakdown import Breakdown
from bench.cpu import CpuUse
from bench.measure import Drained
from bench.parts import Config, EndToEnd, Enqueue
from bench.profile import Summary
from bench.sweep import HEADER as SWEEP_HEADER
from bench.sweep import SweepFigure
from bench.sweep import rows as sweep_rows

NOTES_MARKER = "<!-- Below this line: notes by hand, kept when `make bench` rewrites the file. -->"
ENQUEUE_MIN = 1.0
E2E_MIN = 0.7
DISPATCH_MAX_MS = 3.0


@dataclasses.dataclass(frozen=True)
class Results:
    config: Config
    machine: dict[str, str]
    bare: Enqueue
    pool: Enqueue
    plain_e2e: EndToEnd
    pool_e2e: EndToEnd
    breakdown: Breakdown
    profiles: list[Summary]
    sweep: list[SweepFigure]


@dataclasses.dataclass(frozen=True)
class Verdict:
    name: str
    value: str
    target: str
    met: bool


def verdicts(r: Results) -> list[Verdict]:
    enqueue = r.pool.per_s / r.bare.per_s
    e2e = r.pool_e2e.loaded.per_s / r.plain_e2e.loaded.per_s
    gap = r.pool_e2e.paced.dispatch.p50_ms - r.plain_e2e.paced.dispatch.p50_ms
    return [
        Verdict("enqueue throughput, pool / bare", f"{enqueue:.2f}x", f">= {ENQUEUE_MIN}x",
                enqueue >= ENQUEUE_MIN),
        Verdict("end-to-end runs/s, pool / plain Celery", f"{e2e:.2f}x", f">= {E2E_MIN}x",
                e2e >= E2E_MIN),
        Verdict("dispatch p50 (paced), pool - plain Celery", f"{gap:+.1f} ms",
                f"<= {DISPATCH_MAX_MS:g} ms", gap <= DISPATCH_MAX_MS),
    ]  # fmt: skip


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f}"


def _drained_row(label: str, side: str, d: Drained) -> list[str]:
    failed = f" ({d.failed} failed)" if d.failed else ""
    return [label, side, f"{d.per_s:.0f} runs/s{failed}", f"{d.runs}",
            _ms(d.dispatch.p50_ms), _ms(d.dispatch.p99_ms)]  # fmt: skip


def table_rows(r: Results) -> list[list[str]]:
    c = r.config
    enqueue = f"(a) enqueue, {c.connections} conns, {c.duration_s:g} s"
    loaded = f"(b) end to end, {c.e2e_runs} runs, {c.connections} conns"
    paced = f"(b) end to end, paced {c.paced_rate:g}/s"
    return [
        [enqueue, "bare FastAPI + apply_async", f"{r.bare.per_s:.0f} req/s",
         f"{r.bare.requests}", _ms(r.bare.latency.p50_ms), _ms(r.bare.latency.p99_ms)],
        [enqueue, "actionpool API", f"{r.pool.per_s:.0f} req/s",
         f"{r.pool.requests}", _ms(r.pool.latency.p50_ms), _ms(r.pool.latency.p99_ms)],
        _drained_row(loaded, "plain Celery no-op", r.plain_e2e.loaded),
        _drained_row(loaded, "actionpool debug:log", r.pool_e2e.loaded),
        _drained_row(paced, "plain Celery no-op", r.plain_e2e.paced),
        _drained_row(paced, "actionpool debug:log", r.pool_e2e.paced),
    ]  # fmt: skip


HEADER = ["part", "side", "throughput", "n", "p50 ms", "p99 ms"]
CPU_HEADER = ["part", "side", "api", "worker", "redis", "loadgen", "all", "cores busy"]
CPU_PROCS = ("api", "worker", "redis", "loadgen", "machine")


def _cpu_row(part: str, side: str, cpu: CpuUse, count: int) -> list[str]:
    per = cpu.ms_per(count)
    cells = [f"{per[name]:.2f}" if name in per else "-" for name in CPU_PROCS]
    return [part, side, *cells, f"{cpu.cores_busy():.2f}"]


def cpu_rows(r: Results) -> list[list[str]]:
    """CPU ms per request (a) or per run (b, the loaded batch) of each process."""
    enqueue, loaded = "(a) enqueue", "(b) end to end, loaded"
    return [
        _cpu_row(enqueue, "bare", r.bare.cpu, r.bare.cpu_requests),
        _cpu_row(enqueue, "pool", r.pool.cpu, r.pool.cpu_requests),
        _cpu_row(loaded, "plain Celery", r.plain_e2e.cpu, r.plain_e2e.loaded.runs),
        _cpu_row(loaded, "pool", r.pool_e2e.cpu, r.pool_e2e.loaded.runs),
    ]


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def print_table(header: list[str], body: list[list[str]]) -> None:
    rows = [header, *body]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    print()


STEP_HEADER = ["step (CPU per call, in-process)", "plain us", "pool us", "pool extra us"]


def step_rows(b: Breakdown) -> list[list[str]]:
    return [
        [s.name, f"{s.plain_us:.0f}", f"{s.pool_us:.0f}", f"{s.pool_us - s.plain_us:+.0f}"]
        for s in b.steps
    ]


def print_report(r: Results) -> None:
    print_table(HEADER, table_rows(r))
    print("The recovery sweep against the backlog:")
    print_table(SWEEP_HEADER, sweep_rows(r.sweep))
    print("CPU ms per request (a) / per run (b):")
    print_table(CPU_HEADER, cpu_rows(r))
    print_table(STEP_HEADER, step_rows(r.breakdown))
    for v in verdicts(r):
        print(f"{v.name}: {v.value} (target {v.target}): {'met' if v.met else 'MISSED'}")
