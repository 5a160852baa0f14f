"""`GET /v1/workers` and `GET /v1/queues` against real `actionpool api` and `actionpool worker`
processes: a worker appears when it is ready, turns lost when killed, disappears when stopped
cleanly; the attempts it runs and the queue's backlog follow a long run."""

from __future__ import annotations

import json
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from actionpool import __version__
from tests.e2e.pools import FaultPool, own_pool
from tests.waiting import wait_until

HEARTBEAT_S = 0.3
"""The workers' heartbeat interval here: lost after 3 of them (`LOST_AFTER_BEATS`)."""

LONG_SLEEP = {"debug:sleep": {"soft_timeout_s": 120, "timeout_s": 130, "max_attempts": 1}}
"""Long enough to watch a run in a worker's hands; the test cancels it."""


@pytest.fixture
def pool(redis_url: str, log_dir: Path) -> Iterator[FaultPool]:
    """An API and one worker of one process (one attempt at a time)."""
    with own_pool(
        redis_url,
        log_dir,
        ACTIONPOOL_WORKER_HEARTBEAT_INTERVAL_S=str(HEARTBEAT_S),
        ACTIONPOOL_WORKER_CONCURRENCY="1",
        ACTIONPOOL_ACTION_OVERRIDES=json.dumps(LONG_SLEEP),
    ) as started:
        yield started


def workers(pool: FaultPool) -> dict[str, dict[str, Any]]:
    response = pool.http.get("/v1/workers")
    assert response.status_code == 200, response.text
    return {worker["name"]: worker for worker in response.json()["items"]}


def default_queue(pool: FaultPool) -> dict[str, Any]:
    response = pool.http.get("/v1/queues")
    assert response.status_code == 200, response.text
    queue: dict[str, Any]
    [queue] = [q for q in response.json()["items"] if q["name"] == "default"]
    return queue


def start_sleep(pool: FaultPool) -> str:
    response = pool.start_run("debug:sleep", {"seconds": 110})
    assert response.status_code == 202, response.text
    run_id: str = response.json()["id"]
    return run_id


def cancel(pool: FaultPool, run_id: str) -> None:
    assert pool.http.post(f"/v1/runs/{run_id}/cancel").status_code in (200, 202)
    assert pool.wait_run(run_id, failOnError="false")["status"] == "cancelled"


def test_a_started_worker_is_up_and_a_cleanly_stopped_one_disappears(pool: FaultPool) -> None:
    # Given the pool's worker, and a second one started
    pool.add_worker()
    first, second = pool.names["worker0"], pool.names["worker1"]
    # When the workers are listed
    wait_until(lambda: workers(pool).keys() == {first, second}, what="both workers listed")
    listed = workers(pool)
    # Then each is up with its process, concurrency, queues and the pool's version
    worker = listed[first]
    assert (worker["status"], worker["pid"]) == ("up", pool.workers[0].process.pid)
    assert (worker["host"], worker["concurrency"]) == (socket.gethostname(), 1)
    assert (worker["queues"], worker["version"], worker["runsInHand"]) == (
        ["default"],
        __version__,
        0,
    )
    assert listed[second]["pid"] == pool.workers[1].process.pid
    # And when the second is stopped cleanly (SIGTERM), it leaves the listing; the first stays
    pool.workers[1].stop()
    wait_until(lambda: workers(pool).keys() == {first}, what="the stopped worker gone")
    assert workers(pool)[first]["status"] == "up"


def test_a_killed_worker_turns_lost(pool: FaultPool) -> None:
    # Given the pool's worker, up
    name = pool.names["worker0"]
    wait_until(lambda: workers(pool).get(name, {}).get("status") == "up", what="worker up")
    # When it is killed with SIGKILL (nothing of it runs any more)
    pool.workers[0].signal_group(signal.SIGKILL)
    pool.workers[0].process.wait()
    last = workers(pool)[name]["lastHeartbeatAt"]
    # Then it turns lost once three heartbeats are missed, and heartbeats no more
    wait_until(lambda: workers(pool)[name]["status"] == "lost", what="worker lost")
    assert workers(pool)[name]["lastHeartbeatAt"] == last


def test_runs_in_hand_and_the_queue_follow_a_long_run(pool: FaultPool) -> None:
    # Given a worker of one process
    name = pool.names["worker0"]
    wait_until(lambda: name in workers(pool), what="worker listed")
    # When a long run starts on it
    running = start_sleep(pool)
    # Then it is in the worker's hands and in flight from its queue, with nothing waiting
    wait_until(lambda: workers(pool)[name]["runsInHand"] == 1, what="one run in hand")
    assert (default_queue(pool)["inFlight"], default_queue(pool)["depth"]) == (1, 0)
    # And when a second run comes while the worker is busy, it waits, and its wait grows
    waiting = start_sleep(pool)
    wait_until(lambda: default_queue(pool)["depth"] == 1, what="one run waiting")
    seen_s = default_queue(pool)["oldestWaitingS"]
    wait_until(lambda: default_queue(pool)["oldestWaitingS"] > seen_s, what="its wait growing")
    assert workers(pool)[name]["runsInHand"] == 1
    # And when the first is cancelled, the second runs: still one in hand, none waiting
    cancel(pool, running)
    wait_until(lambda: default_queue(pool)["depth"] == 0, what="the second run taken")
    wait_until(lambda: workers(pool)[name]["runsInHand"] == 1, what="the second in hand")
    assert default_queue(pool) == {
        "name": "default",
        "depth": 0,
        "oldestWaitingS": 0.0,
        "inFlight": 1,
    }
    # And when it is cancelled too, the worker holds nothing and nothing is in flight
    cancel(pool, waiting)
    wait_until(lambda: workers(pool)[name]["runsInHand"] == 0, what="empty hands")
    assert default_queue(pool)["inFlight"] == 0
