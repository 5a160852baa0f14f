"""Redis stopped for 5 s under load, and restarted from its AOF: every answer meant what it
said. A 202 ran exactly once, a 503 never ran (no record of it exists to run), a 504 ("not
known") was settled by sending the same request again with its idempotency key.

`bench/outage_loop.py` runs this test 20 times in a row (not part of `make test`)."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import redis

from tests.faults.conftest import FaultPool, report
from tests.faults.evidence import Evidence
from tests.identity import ADMIN_HEADERS
from tests.redis_server import RedisServer
from tests.waiting import wait_until

OUTAGE_S = 5.0
STEPS = 2


@dataclasses.dataclass
class Answer:
    tag: str
    status: int
    run_id: str | None
    retry_after: bool


class Load:
    """Posts runs from a thread, each with its own idempotency key and tag; keeps every
    answer."""

    def __init__(self, pool: FaultPool, input: dict[str, object]) -> None:
        self.pool = pool
        self.input = input
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._post)

    def post(self, http: httpx.Client, tag: str) -> Answer:
        body = {"input": {**self.input, "tag": tag}, "idempotencyKey": tag}
        response = http.post("/v1/actions/fault:count/runs", json=body)
        run_id = response.json().get("id") if response.status_code in (200, 202) else None
        return Answer(tag, response.status_code, run_id, "Retry-After" in response.headers)

    def _post(self) -> None:
        with httpx.Client(base_url=self.pool.url, timeout=30, headers=ADMIN_HEADERS) as http:
            while not self._stop.is_set():
                self.answers.append(self.post(http, uuid.uuid4().hex))
                self._stop.wait(0.1)

    def accepted(self) -> int:
        return sum(a.status == 202 for a in self.answers)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(60)


def recorded_tags(pool_redis: redis.Redis, prefix: str) -> dict[str, int]:
    """Tag -> how many run records carry it, across every run the pool keeps."""
    found: dict[str, int] = {}
    for key in pool_redis.scan_iter(match=f"{prefix}run:*", count=1000):
        if key[len(prefix) :].count(":") != 1:  # the run hashes, not their events, ...
            continue
        raw: Any = pool_redis.hget(key, "input")
        tag = json.loads(raw).get("tag") if raw else None
        if tag:
            found[tag] = found.get(tag, 0) + 1
    return found


@pytest.mark.timeout(240)
def test_redis_outage_under_load_every_answer_means_one_thing(
    fault_pool: Callable[..., FaultPool], private_redis: RedisServer, redis_url: str
) -> None:
    # Given a pool on a Redis with AOF (appendfsync always), under a steady load of runs
    pool = fault_pool(workers=2, pool_redis_url=private_redis.url)
    evidence = Evidence(redis_url, pool.prefix)  # the action's effects: outside the outage
    input = {"redisUrl": redis_url, "prefix": pool.prefix, "steps": STEPS, "stepS": 0.3}
    with Load(pool, input) as load:
        wait_until(lambda: load.accepted() >= 10, what="runs accepted before the outage")
        # When Redis is stopped for 5 s, then started again from its AOF
        private_redis.stop()
        stopped_at = time.monotonic()
        refused_before = sum(a.status != 202 for a in load.answers)
        wait_until(
            lambda: (
                sum(a.status != 202 for a in load.answers) > refused_before
                and time.monotonic() - stopped_at >= OUTAGE_S
            ),
            what="the outage, seen by the API",
        )
        private_redis.start()
        back_after_s = time.monotonic() - stopped_at
        accepted_before = load.accepted()
        wait_until(lambda: load.accepted() >= accepted_before + 5, what="runs accepted again")
    answers = load.answers
    # Then every answer was 202 (committed), 503 (not committed, Retry-After) or 504 (not
    # known, Retry-After): never a 500
    assert {a.status for a in answers} <= {202, 503, 504}, sorted({a.status for a in answers})
    assert 503 in {a.status for a in answers} or 504 in {a.status for a in answers}
    assert all(a.retry_after for a in answers if a.status != 202)
    # And a request whose answer was not known, sent again with its key, gets its one run
    with httpx.Client(base_url=pool.url, timeout=30, headers=ADMIN_HEADERS) as http:
        unknown = [a for a in answers if a.status == 504]
        settled = [load.post(http, a.tag) for a in unknown]
    assert all(s.status in (200, 202) for s in settled), settled
    runs = {a.tag: a.run_id for a in [*answers, *settled] if a.run_id}
    # And every run accepted completes, once: one run per request, never two attempts at
    # once, a step run again only where an attempt was interrupted
    ended = [pool.wait_run(run_id, wait_s=50) for run_id in runs.values()]
    assert [r["status"] for r in ended] == ["completed"] * len(runs)
    for run in ended:
        assert not evidence.overlapping(run["id"]), run["id"]
        assert min(evidence.executions(run["id"], STEPS)) >= 1
        assert evidence.redone(run["id"], STEPS) <= run["attempt"] - 1
    with redis.Redis.from_url(private_redis.url, decode_responses=True) as pool_redis:
        records = recorded_tags(pool_redis, pool.prefix)
    assert all(records.get(tag) == 1 for tag in runs), "a request made two runs"
    # And no request answered 503 left a record behind that anything could ever run, nor
    # ran: everything recorded or run belongs to an answer that said so
    refused = [a.tag for a in answers if a.status == 503]
    assert not set(refused) & set(records), "a 503'd request was recorded"
    assert not set(refused) & set(evidence.runs_of_tags()), "a 503'd request ran"
    assert set(records) == set(runs) == set(evidence.runs_of_tags())
    counts = {status: sum(a.status == status for a in answers) for status in (202, 503, 504)}
    report(
        f"Redis stopped {OUTAGE_S:g} s under load (back after {back_after_s:.1f} s, AOF "
        f"always): {counts[202]} accepted, {counts[503]} refused with 503 (none of them "
        f"recorded or run), {counts[504]} answered 504 'not known' (each settled by the same "
        f"request again: one run each), 0 answers 500, all {len(runs)} runs completed once, "
        f"{pool.redispatched()} lost messages put out again"
    )
