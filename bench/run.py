"""`make bench`: the pool's API against a bare FastAPI + Celery endpoint, and the pool end to
end against plain Celery, side by side on one Redis; prints the figures and the ratios and
rewrites docs/benchmarks.md."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import redis

from actionpool.worker.settings import DEFAULT_REDIS_URL
from bench.breakdown import breakdown
from bench.doc import machine, write_doc
from bench.e2e import end_to_end
from bench.parts import BARE_API, POOL_API, Config, enqueue
from bench.profile import Profiler, find_py_spy
from bench.report import Results, print_report
from bench.sweep import sweep_figures

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    defaults = Config(redis_url="", out_dir=Path())
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=defaults.duration_s)
    parser.add_argument("--connections", type=int, default=defaults.connections)
    parser.add_argument("--e2e-runs", type=int, default=defaults.e2e_runs)
    parser.add_argument("--paced-rate", type=float, default=defaults.paced_rate)
    parser.add_argument("--paced-runs", type=int, default=defaults.paced_runs)
    parser.add_argument("--worker-concurrency", type=int, default=defaults.worker_concurrency)
    parser.add_argument("--profile-seconds", type=float, default=10.0, help="0: no profile")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-doc", action="store_true", help="print only")
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> Config:
    out_dir = ROOT / "bench" / "results" / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    out_dir.mkdir(parents=True)
    py_spy = find_py_spy() if args.profile_seconds > 0 else None
    return Config(
        redis_url=os.environ.get("ACTIONPOOL_REDIS_URL", DEFAULT_REDIS_URL),
        out_dir=out_dir,
        connections=args.connections,
        duration_s=args.duration,
        e2e_runs=args.e2e_runs,
        paced_rate=args.paced_rate,
        paced_runs=args.paced_runs,
        worker_concurrency=args.worker_concurrency,
        profiler=Profiler(py_spy, out_dir, args.profile_seconds) if py_spy else None,
    )


def measure(config: Config) -> Results:
    print(f"bench: logs and raw data in {config.out_dir}", flush=True)
    print("bench: (a) enqueue, bare endpoint", flush=True)
    bare = enqueue(config, "enqueue-bare", BARE_API)
    print("bench: (a) enqueue, pool API", flush=True)
    pool = enqueue(config, "enqueue-pool", POOL_API, profile=True)
    print("bench: (b) end to end, plain Celery and pool", flush=True)
    plain_e2e, pool_e2e = end_to_end(config)
    print("bench: in-process breakdown", flush=True)
    split = breakdown(config.redis_url, config.out_dir / "workspaces")
    print("bench: the recovery sweep against the backlog", flush=True)
    sweep = sweep_figures(config.redis_url)
    profiles = config.profiler.summaries if config.profiler else []
    return Results(
        config, machine(config.redis_url), bare, pool, plain_e2e, pool_e2e, split, profiles, sweep
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = build_config(args)
    redis.Redis.from_url(config.redis_url, socket_connect_timeout=2).ping()
    if not config.profiler and args.profile_seconds > 0:
        print("bench: py-spy not found, no profiles (.venv/bin/pip install py-spy)")
    results = measure(config)
    print()
    print_report(results)
    raw = dataclasses.asdict(results)
    (config.out_dir / "results.json").write_text(json.dumps(raw, indent=2, default=str))
    if not args.no_doc:
        write_doc(args.doc, results, args.profile_seconds)
        print(f"\nwrote {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
