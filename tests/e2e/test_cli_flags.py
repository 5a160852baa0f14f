"""`actionpool api --port` and `actionpool worker --name --queues` as real processes: the
flags win over the environment, in every process the command starts."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
import redis

from actionpool.devstack import free_port
from tests.conftest import delete_prefix
from tests.e2e.conftest import pool_env
from tests.e2e.processes import ACTIONPOOL, start, wait_http
from tests.identity import ADMIN_HEADERS

pytestmark = pytest.mark.e2e


def test_the_flags_choose_the_port_and_the_workers_name(redis_url: str, tmp_path: Path) -> None:
    # Given an environment that names one port and worker name, and flags that name others
    prefix = f"apflags:{uuid.uuid4().hex[:8]}:"
    env = pool_env(redis_url, prefix)
    port, name = free_port(), f"flagged-{uuid.uuid4().hex[:6]}@localhost"
    # When the API and a worker are started with those flags
    api = start("api", [ACTIONPOOL, "api", "--port", str(port)], env, tmp_path)
    worker = start(
        "worker", [ACTIONPOOL, "worker", "--name", name, "--queues", "default"], env, tmp_path
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", api)
        worker.wait_for_log(" ready.")
        # Then the API answers on the flag's port, and runs are done by the flag's worker
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=ADMIN_HEADERS) as http:
            run = http.post(
                "/v1/actions/debug:log/runs", params={"wait": 30}, json={"input": {"message": "x"}}
            ).json()
        assert run["status"] == "completed", run
        assert [attempt["worker"] for attempt in run["attempts"]] == [name]
    finally:
        api.stop()
        worker.stop()
        with redis.Redis.from_url(redis_url) as client:
            delete_prefix(client, prefix)
