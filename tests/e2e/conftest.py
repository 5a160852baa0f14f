"""End-to-end fixtures: a real uvicorn API and a real celery worker on the real Redis."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from actionpool.devstack import free_port
from tests import measurements
from tests.conftest import delete_prefix
from tests.e2e.processes import Service, start_api, start_worker
from tests.identity import ADMIN_HEADERS, tokens_json
from tests.secrets_keys import SECRETS_KEYS_ENV

# Short limits so timeouts can be observed in seconds; the rest keep their declared policy.
E2E_OVERRIDES = {
    "debug:sleep": {"soft_timeout_s": 3, "timeout_s": 6, "max_attempts": 1},
    "debug:fail": {"soft_timeout_s": 1.5, "timeout_s": 4},
}


def pool_env(redis_url: str, prefix: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACTIONPOOL_")}
    env.update(
        ACTIONPOOL_REDIS_URL=redis_url,
        ACTIONPOOL_KEY_PREFIX=prefix,
        ACTIONPOOL_API_PORT=str(free_port()),
        ACTIONPOOL_WORKER_CONCURRENCY="4",
        ACTIONPOOL_WORKER_NAME=f"e2e-{uuid.uuid4().hex[:6]}@localhost",
        ACTIONPOOL_ACTION_OVERRIDES=json.dumps(E2E_OVERRIDES),
        ACTIONPOOL_HEARTBEAT_INTERVAL_S="0.5",
        ACTIONPOOL_LEASE_TTL_S="3",
        ACTIONPOOL_SWEEP_INTERVAL_S="1",
        ACTIONPOOL_CANCEL_GRACE_S="2",
        ACTIONPOOL_REDISPATCH_AFTER_S="5",
        ACTIONPOOL_WORKER_SHUTDOWN_GRACE_S="2",
        ACTIONPOOL_SECRETS_KEYS=SECRETS_KEYS_ENV,
        ACTIONPOOL_STATIC_TOKENS=tokens_json(),
        ACTIONPOOL_RATE_LIMIT_CREATE="100000/minute",  # load tests post thousands of runs
    )
    env.update(extra)
    return env


class Pool:
    def __init__(self, env: dict[str, str], api: Service, worker: Service) -> None:
        self.env = env
        self.api = api
        self.worker = worker
        self.url = f"http://127.0.0.1:{env['ACTIONPOOL_API_PORT']}"
        self.http = httpx.Client(base_url=self.url, timeout=70, headers=ADMIN_HEADERS)

    def start_run(
        self, action_id: str, input: dict, wait_s: float = 0, **body: object
    ) -> httpx.Response:  # type: ignore[type-arg]
        query = f"?wait={wait_s}" if wait_s else ""
        return self.http.post(f"/v1/actions/{action_id}/runs{query}", json={"input": input, **body})

    def wait_run(self, run_id: str, wait_s: float = 30, **params: str) -> dict:  # type: ignore[type-arg]
        response = self.http.get(f"/v1/runs/{run_id}", params={"wait": wait_s, **params})
        assert response.status_code in (200, 424), response.text
        if response.status_code == 424:  # names the run; the record itself is one GET away
            response = self.http.get(f"/v1/runs/{run_id}")
        body: dict = response.json()  # type: ignore[type-arg]
        return body


@pytest.fixture(scope="session")
def pool(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pool]:
    prefix = f"ape2e:{uuid.uuid4().hex[:8]}:"
    env = pool_env(redis_url, prefix)
    logs = tmp_path_factory.mktemp("pool-logs")
    api = start_api(env, logs)
    worker = start_worker(env, logs)
    pool = Pool(env, api, worker)
    yield pool
    pool.http.close()
    api.stop()
    worker.stop()
    delete_prefix(redis.Redis.from_url(redis_url), prefix)


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path


def report(line: str) -> None:
    """A figure for the "end to end: measured" summary."""
    measurements.report("end to end", line)
