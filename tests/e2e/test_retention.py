"""Forgetting finished runs with a real worker's sweep: when a run's retention ends, its
records and every index entry go, and the listing no longer shows it."""

from __future__ import annotations

import time

import redis

from tests.e2e.conftest import Pool
from tests.waiting import wait_until


def entries_naming(client: redis.Redis, prefix: str, run_id: str) -> list[str]:
    """The pool's keys that still name the run: its records, and sorted sets holding it."""
    found = []
    for key in client.scan_iter(f"{prefix}*"):
        name = key.decode()
        in_set = client.type(key) == b"zset" and client.zscore(key, run_id) is not None
        if run_id in name or in_set:
            found.append(name)
    return found


def test_a_run_whose_retention_ended_is_forgotten_by_the_sweep(pool: Pool) -> None:
    # Given a finished run of a team and a template, indexed under each
    context = {"owner": "group:default/retention", "templateRef": "template:default/r"}
    run = pool.start_run("debug:log", {"message": "x"}, wait_s=30, context=context).json()
    assert run["status"] == "completed"
    prefix = pool.env["ACTIONPOOL_KEY_PREFIX"]
    client = redis.Redis.from_url(pool.env["ACTIONPOOL_REDIS_URL"])
    forgettable = f"{prefix}runs-ending"
    assert client.zscore(forgettable, run["id"]) is not None  # due when its retention ends
    listed = pool.http.get("/v1/runs", params={"owner": context["owner"]}).json()
    assert [r["id"] for r in listed["items"]] == [run["id"]]
    # When its retention has ended (its end moved back past the retention)
    client.zadd(forgettable, {run["id"]: int(time.time() * 1000) - 1})
    # Then the worker's sweep forgets it: no record, no index entry, not listed
    wait_until(
        lambda: not entries_naming(client, prefix, run["id"]),
        timeout_s=60,
        what="the sweep to forget the run",
    )
    assert pool.http.get(f"/v1/runs/{run['id']}").status_code == 404
    listed = pool.http.get("/v1/runs", params={"owner": context["owner"]}).json()
    assert listed["items"] == []
