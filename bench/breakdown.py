"""Where the CPU of one run goes, in-process and single-threaded (no server, no load
generator): each pool step next to its plain counterpart, and cProfile's split of the pool's
steps over the product's functions. Stdlib only, so it is there on every machine."""

from __future__ import annotations

import asyncio
import cProfile
import dataclasses
import pstats
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from cryptography.fernet import Fernet
from fastapi import FastAPI
from starlette.types import Message

from actionpool.actions.registry import build_registry
from actionpool.api.app import create_app
from actionpool.api.settings import ApiSettings
from actionpool.worker.broker.app import TASK_NAME
from actionpool.worker.client import PoolClient, RunRequest
from actionpool.worker.execution.main import create_worker_app
from actionpool.worker.store.records import RunContext
from bench.bare_api import create_bare_app
from bench.loadgen import BENCH_TOKEN
from bench.parts import ACTION, BENCH_CREDENTIAL, PATH
from bench.plain import create_plain_app
from bench.procs import delete_prefix

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = tuple(str(ROOT / d) + "/" for d in ("api", "worker", "actions"))
BODY = b'{"input": {"message": "x"}}'
WARMUP = 200
ROUNDS = 5
"""Calls are timed in rounds; the fastest round counts (the least disturbed by anything else
on the machine)."""


@dataclasses.dataclass(frozen=True)
class Step:
    name: str
    plain_us: float
    pool_us: float


@dataclasses.dataclass(frozen=True)
class Breakdown:
    calls: int
    steps: list[Step]
    profiles: dict[str, list[tuple[str, float]]]
    """Per pool step: product function -> share of the step's profiled time (%)."""


def cpu_us(fn: Callable[[], object], calls: int) -> float:
    """CPU (every thread of this process) per call, after a warm-up; fastest round."""
    for _ in range(WARMUP):
        fn()
    per_round = calls // ROUNDS
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(per_round):
            fn()
        best = min(best, (time.process_time() - started) * 1e6 / per_round)
    return best


def _where(file: str) -> str:
    for marker in (str(ROOT) + "/", "site-packages/", "/lib/python3."):
        if marker in file:
            file = file.split(marker, 1)[1]
    return file.split("/", 1)[1] if file[:2].isdigit() else file


def product_shares(fn: Callable[[], object], calls: int, top: int = 20) -> list[tuple[str, float]]:
    """cProfile of `calls` calls of `fn`: inclusive share of each product function, and of
    each library function the product calls directly (counting only those calls)."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(calls):
        fn()
    profile.disable()
    stats: dict[Any, tuple[Any, ...]] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = max(entry[3] for entry in stats.values())
    shares: dict[str, float] = {}
    for (file, line, name), (_, _, _, inclusive, callers) in stats.items():
        if not file.startswith(PRODUCT):
            inclusive = sum(c[3] for (f, _, _), c in callers.items() if f.startswith(PRODUCT))
        if inclusive:
            shares[f"{name} ({_where(file)}:{line})"] = inclusive * 100 / total
    return sorted(shares.items(), key=lambda row: -row[1])[:top]


def _scope() -> dict[str, Any]:
    headers = [(b"host", b"bench"), (b"content-type", b"application/json")]
    headers.append((b"authorization", f"Bearer {BENCH_TOKEN}".encode()))
    headers.append((b"content-length", str(len(BODY)).encode()))
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": PATH, "raw_path": PATH.encode(), "query_string": b"",
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 2), "state": {},
    }  # fmt: skip


async def _request(app: FastAPI) -> None:
    status: list[int] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(_scope(), receive, send)
    if status != [202]:
        raise RuntimeError(f"in-process request answered {status}")


async def _route_us(app: FastAPI, calls: int) -> float:
    async with app.router.lifespan_context(app):
        for _ in range(WARMUP):
            await _request(app)
        per_round = calls // ROUNDS
        best = float("inf")
        for _ in range(ROUNDS):
            started = time.process_time()
            for _ in range(per_round):
                await _request(app)
            best = min(best, (time.process_time() - started) * 1e6 / per_round)
        return best


def breakdown(redis_url: str, workspace: Path, calls: int = 2000) -> Breakdown:
    prefix = f"actionpool-bench:{uuid.uuid4().hex[:8]}:breakdown:"
    settings = ApiSettings(
        redis_url=redis_url,
        key_prefix=prefix,
        workspace_root=workspace,
        secrets_keys=[Fernet.generate_key().decode()],
        static_tokens=[BENCH_CREDENTIAL],
        rate_limit_create="10000000/minute",
    )
    try:
        return _measure(settings, calls)
    finally:
        delete_prefix(redis.Redis.from_url(redis_url), prefix)


def _measure(settings: ApiSettings, calls: int) -> Breakdown:
    route = Step(
        "HTTP route, ASGI in-process (parse, publish or commit, answer)",
        asyncio.run(_route_us(create_bare_app(settings), calls)),
        asyncio.run(_route_us(create_app(settings), calls)),
    )
    _, noop = create_plain_app(settings)
    registry = build_registry(settings)
    client = PoolClient.from_settings(settings, registry)
    request = RunRequest(input={"message": "x"}, context=RunContext(), secrets={})

    loop = asyncio.new_event_loop()  # the client's async Redis lives on one loop

    def create() -> str:
        return loop.run_until_complete(client.create_run(ACTION, request)).run.id

    publish = Step(
        "publish: `apply_async` / `PoolClient.create_run`",
        cpu_us(lambda: noop.apply_async(args=(time.time(),), queue="default"), calls),
        cpu_us(create, calls),
    )
    create_profile = product_shares(create, calls)
    run_task = create_worker_app(settings, registry).tasks[TASK_NAME]
    run_ids = iter([create() for _ in range(2 * calls + WARMUP)])

    def attempt() -> object:
        return run_task(next(run_ids), 1)

    body = Step(
        "task body: no-op (one RPUSH) / `run_attempt` of debug:log",
        cpu_us(lambda: noop(time.time()), calls),
        cpu_us(attempt, calls),
    )
    steps = [route, publish, body]
    profiles = {
        "PoolClient.create_run": create_profile,
        "run_attempt": product_shares(attempt, calls),
    }
    loop.run_until_complete(client.close())
    loop.close()
    return Breakdown(calls, steps, profiles)
