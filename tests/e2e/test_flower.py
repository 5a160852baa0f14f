"""Flower against a real pool: the documented command (docs/operations.md#flower) started next
to a real API and worker on the same Redis and key prefix, read through Flower's HTTP API."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from actionpool.devstack import free_port
from actionpool.worker.broker.app import TASK_NAME, create_celery_app
from actionpool.worker.settings import PoolSettings
from tests.e2e.pools import FaultPool, own_pool
from tests.e2e.processes import Service, start, wait_http
from tests.waiting import wait_until

CELERY = str(Path(sys.executable).parent / "celery")
FLOWER_APP = "actionpool.worker.broker.app:celery_app"
WAIT_S = 30  # a bound against hanging: Flower sees events in well under a second


class Flower:
    """A `celery flower` process of the pool's app, and its HTTP API."""

    def __init__(self, service: Service, url: str) -> None:
        self.service = service
        self.http = httpx.Client(base_url=url, timeout=30)

    def alive_workers(self) -> dict[str, bool]:
        """Worker name -> alive, from the workers' heartbeat events."""
        alive: dict[str, bool] = self.http.get("/api/workers", params={"status": "true"}).json()
        return alive

    def inspected_worker(self, name: str) -> dict[str, Any]:
        """What the worker answered to Flower's inspect broadcast (remote control); empty
        when it did not answer within Flower's inspect timeout."""
        response = self.http.get("/api/workers", params={"refresh": "true"})
        answers: dict[str, dict[str, Any]] = response.json() if response.is_success else {}
        return answers.get(name, {})

    def tasks(self) -> dict[str, dict[str, Any]]:
        """Task id -> what Flower knows of it, from task events."""
        tasks: dict[str, dict[str, Any]] = self.http.get("/api/tasks").json()
        return tasks

    def wait_for_worker(self, name: str) -> None:
        wait_until(
            lambda: self.alive_workers().get(name), timeout_s=WAIT_S, what=f"Flower sees {name}"
        )

    def wait_for_task(self, task_id: str, state: str) -> dict[str, Any]:
        def task_in_state() -> dict[str, Any]:
            task = self.tasks().get(task_id, {})
            return task if task.get("state") == state else {}

        return wait_until(task_in_state, timeout_s=WAIT_S, what=f"Flower lists {task_id} {state}")


def flower_command(port: int) -> list[str]:
    """The command of docs/operations.md#flower, on a free port."""
    return [
        CELERY,
        "--app",
        FLOWER_APP,
        "flower",
        "--address=127.0.0.1",
        f"--port={port}",
        "--enable_events=false",
        "--read_only=true",
    ]


@contextlib.contextmanager
def flower_of(pool: FaultPool, log_dir: Path) -> Iterator[Flower]:
    """Flower started with the pool's settings, stopped before the pool (and its keys) go."""
    port = free_port()
    env = {**pool.env, "FLOWER_UNAUTHENTICATED_API": "true"}
    service = start("flower", flower_command(port), env, log_dir, cwd=log_dir)
    url = f"http://127.0.0.1:{port}"
    flower = Flower(service, url)
    try:
        wait_http(f"{url}/healthcheck", service)
        yield flower
    finally:
        flower.http.close()
        service.stop()


def worker_name(pool: FaultPool) -> str:
    return pool.names[pool.workers[0].name]


def completed_run(pool: FaultPool, message: str) -> str:
    run_id: str = pool.start_run("debug:log", {"message": message}).json()["id"]
    assert pool.wait_run(run_id)["status"] == "completed"
    return run_id


def enable_task_events(pool: FaultPool) -> None:
    """Celery's `enable_events` remote control, answered by the worker once it applies it."""
    settings = PoolSettings(redis_url=pool.env["ACTIONPOOL_REDIS_URL"], key_prefix=pool.prefix)
    name, app = worker_name(pool), create_celery_app(settings)
    try:
        replies = app.control.enable_events(destination=[name], reply=True, limit=1, timeout=WAIT_S)
    finally:
        app.close()
    assert replies and "ok" in replies[0][name], replies


@pytest.mark.timeout(180)  # a bound against hanging: each test takes about 8 s
def test_flower_shows_the_workers_and_the_attempts_of_runs(redis_url: str, log_dir: Path) -> None:
    # Given a pool whose workers send task events, and Flower started against it
    with (
        own_pool(redis_url, log_dir, ACTIONPOOL_TASK_EVENTS="true") as pool,
        flower_of(pool, log_dir) as flower,
    ):
        # And Flower has seen the worker (its heartbeats: Flower's subscription is live)
        flower.wait_for_worker(worker_name(pool))
        # When a run is started through the API and completes
        run_id = completed_run(pool, "seen by flower")
        # Then Flower lists its attempt as a Celery task of the worker, succeeded
        task = flower.wait_for_task(f"{run_id}.1", "SUCCESS")
        assert task["name"] == TASK_NAME
        assert task["args"] == repr([run_id, 1])
        assert task["kwargs"] == "{}"
        assert task["worker"] == worker_name(pool)
        assert task["result"] == repr("completed")
        assert task["received"] and task["started"] and task["succeeded"]
        # And Flower's inspect reaches the worker through the prefixed broker
        inspected = wait_until(
            lambda: flower.inspected_worker(worker_name(pool)),
            timeout_s=WAIT_S,
            what="Flower's inspect answered by the worker",
        )
        assert TASK_NAME in inspected["registered"]
        # And, read-only, it refuses to revoke the attempt (cancel is the pool's API)
        revoke = flower.http.post(f"/api/task/revoke/{run_id}.1", params={"terminate": "true"})
        assert revoke.status_code == 403


@pytest.mark.timeout(180)
def test_without_task_events_flower_lists_the_worker_and_no_attempt(
    redis_url: str, log_dir: Path
) -> None:
    # Given a pool with task events off (the default), and Flower started against it
    with own_pool(redis_url, log_dir) as pool, flower_of(pool, log_dir) as flower:
        # And Flower lists the worker even so: its heartbeats go out either way
        flower.wait_for_worker(worker_name(pool))
        # When a run completes
        quiet_run = completed_run(pool, "not seen by flower")
        # And then task events are turned on and a second run completes, seen by Flower: the
        # worker would have sent the first attempt's task-received before it ran, so on the
        # same connection and subscription before any event of the second run
        enable_task_events(pool)
        seen_run = completed_run(pool, "seen by flower")
        flower.wait_for_task(f"{seen_run}.1", "SUCCESS")
        # Then Flower lists no task of the first run
        assert [task_id for task_id in flower.tasks() if task_id.startswith(quiet_run)] == []
