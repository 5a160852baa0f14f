"""`python -m bench.listing`: how fast `GET /v1/runs` answers with 100,000 runs stored.

Fills a fresh key prefix of the Redis at ACTIONPOOL_REDIS_URL with runs made by the store's
own scripts (`create`, `claim`, `settle`, pipelined): 20 owners (one holds 40% of the runs),
30 templates, 6 actions, one task per run, spread over 30 days; 85% completed, 8% failed,
2% cancelled, 5% still open. Then starts a real API process (`actionpool api`) on that prefix
and times sequential listings over HTTP, per query, and prints p50/p95/max (ms) with what
the script looked at. The keys are deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import redis
from cryptography.fernet import Fernet

from actionpool.actions.registry import build_registry
from actionpool.devstack import free_port
from actionpool.worker.broker.app import create_celery_app
from actionpool.worker.broker.envelope import Envelopes
from actionpool.worker.execution.dispatch import Dispatcher
from actionpool.worker.settings import DEFAULT_REDIS_URL, PoolSettings
from actionpool.worker.store.changes import Settlement
from actionpool.worker.store.records import Attempt, Run, RunContext, RunStatus
from actionpool.worker.store.store import RunStore
from bench.loadgen import BENCH_TOKEN
from bench.measure import percentile
from bench.parts import BENCH_CREDENTIAL
from bench.procs import PYTHON, delete_prefix, group, wait_for_http

OWNERS = [f"group:default/team-{i:02d}" for i in range(20)]
TEMPLATES = [f"template:default/golden-path-{i:02d}" for i in range(30)]
ACTIONS = ["debug:log", "debug:sleep", "debug:fail", "debug:checkpoint", "debug:wait", "debug:x"]
ENDINGS = [(RunStatus.COMPLETED, 85), (RunStatus.FAILED, 8), (RunStatus.CANCELLED, 2)]
BATCH = 1000


@dataclass(frozen=True)
class Query:
    name: str
    params: str


def owner_of(rng: random.Random) -> str:
    return OWNERS[0] if rng.random() < 0.4 else rng.choice(OWNERS[1:])


def ending_of(rng: random.Random) -> RunStatus | None:
    roll = rng.uniform(0, 100)
    for status, share in ENDINGS:
        if roll < share:
            return status
        roll -= share
    return None


def make_run(rng: random.Random, now: datetime) -> Run:
    created = now - timedelta(seconds=rng.uniform(0, 30 * 86400))
    context = RunContext(
        owner=owner_of(rng),
        template_ref=rng.choice(TEMPLATES),
        task_id=str(uuid.uuid4()),
        step_id="publish",
        user_ref=f"user:default/u{rng.randrange(300)}",
    )
    return Run(
        id=str(uuid.uuid4()),
        action_id=rng.choice(ACTIONS),
        status=RunStatus.OPEN,
        input={"message": "x"},
        max_attempts=3,
        context=context,
        queue="default",
        created_at=created,
    )


def fill(store: RunStore, settings: PoolSettings, runs: int, seed: int) -> dict[str, Any]:
    """Store `runs` runs; returns a few of their values for the queries."""
    rng, now = random.Random(seed), datetime.now(UTC)
    dispatcher = Dispatcher(Envelopes(create_celery_app(settings)), store.clock)
    action = build_registry().get("debug:log")
    picked: dict[str, Any] = {}
    for start in range(0, runs, BATCH):
        batch = [make_run(rng, now) for _ in range(min(BATCH, runs - start))]
        picked.setdefault("task", batch[0].context.task_id)
        calls = [
            store.writes.create(
                run,
                dispatcher.message(run, action, 1),
                fingerprint="f",
                key_digest=None,
                secrets={},
            )
            for run in batch
        ]
        send(store, calls)
        ended = [(run, status) for run in batch if (status := ending_of(rng)) is not None]
        attempts = {run.id: Attempt(number=1, worker="bench", started_at=now) for run, _ in ended}
        send(store, [store.writes.claim(r.id, r.queue, attempts[r.id], "t", now) for r, _ in ended])
        settles = [
            store.writes.settle(run, Settlement(status=s, attempt=attempts[run.id]), now)
            for run, s in ended
        ]
        send(store, settles)
    store.redis.delete(store.keys.queue("default"))  # no worker will take these messages
    return picked


def send(store: RunStore, calls: list[Any]) -> None:
    pipe = store.redis.pipeline(transaction=False)
    for call in calls:
        store.scripts[call.script](keys=call.keys, args=call.args, client=pipe)
    pipe.execute()


def queries(picked: dict[str, Any]) -> list[Query]:
    week_ago = (datetime.now(UTC) - timedelta(days=7)).isoformat().replace("+00:00", "Z")
    big, small, template = OWNERS[0], OWNERS[5], TEMPLATES[3]
    return [
        Query("unfiltered, limit 50", "limit=50"),
        Query("unfiltered, limit 500", "limit=500"),
        Query("most selective: taskId", f"taskId={picked['task']}"),
        Query("least selective: completed, biggest owner", f"status=completed&owner={big}"),
        Query(
            "failed, one owner, one template, 7 days",
            f"status=failed&owner={small}&templateRef={template}&createdAfter={week_ago}",
        ),
        Query(
            "sparse: cancelled, one action, biggest owner",
            f"status=cancelled&actionId=debug:fail&owner={big}",
        ),
        Query(
            "failed or cancelled, 7 days", f"status=failed&status=cancelled&createdAfter={week_ago}"
        ),
    ]


def time_query(http: httpx.Client, query: Query, repeat: int) -> dict[str, Any]:
    samples_ms: list[float] = []
    items = 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = http.get(f"/v1/runs?{query.params}")
        samples_ms.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        items = len(response.json()["items"])
    ordered = sorted(samples_ms)
    return {
        "query": query.name,
        "items": items,
        "p50_ms": percentile(ordered, 50),
        "p95_ms": percentile(ordered, 95),
        "max_ms": ordered[-1],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200, help="requests per query")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    redis_url = os.environ.get("ACTIONPOOL_REDIS_URL", DEFAULT_REDIS_URL)
    prefix = f"actionpool-bench:{uuid.uuid4().hex[:8]}:listing:"
    keys = json.dumps([Fernet.generate_key().decode()])
    settings = PoolSettings(redis_url=redis_url, key_prefix=prefix, secrets_keys=json.loads(keys))
    store = RunStore.from_settings(settings)
    client = redis.Redis.from_url(redis_url)
    try:
        started = time.perf_counter()
        picked = fill(store, settings, args.runs, args.seed)
        print(f"stored {args.runs} runs in {time.perf_counter() - started:.1f} s")
        print(json.dumps(measure(redis_url, prefix, keys, picked, args.repeat), indent=2))
    finally:
        store.close()
        delete_prefix(client, prefix)


def measure(
    redis_url: str, prefix: str, secrets_keys: str, picked: dict[str, Any], repeat: int
) -> list[dict[str, Any]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACTIONPOOL_")}
    env.update(
        ACTIONPOOL_REDIS_URL=redis_url,
        ACTIONPOOL_KEY_PREFIX=prefix,
        ACTIONPOOL_API_PORT=str(port),
        ACTIONPOOL_SECRETS_KEYS=secrets_keys,
        ACTIONPOOL_STATIC_TOKENS=json.dumps([BENCH_CREDENTIAL]),
        ACTIONPOOL_LOG_LEVEL="WARNING",
    )
    with group(Path(tempfile.mkdtemp()), env) as procs:
        api = procs.start("api", [str(Path(PYTHON).parent / "actionpool"), "api"])
        wait_for_http(port, api)
        headers = {"Authorization": f"Bearer {BENCH_TOKEN}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as http:
            for query in queries(picked):  # warm up: connections, scripts loaded
                http.get(f"/v1/runs?{query.params}").raise_for_status()
            return [time_query(http, query, repeat) for query in queries(picked)]


if __name__ == "__main__":
    main()
