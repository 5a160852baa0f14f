"""`make backstage-e2e`: a real pool (uvicorn API + celery worker on the real Redis, under a
key prefix of its own) next to the real, pinned Backstage backend of examples/backstage/backend,
each configured with the other's address, the way a platform team deploys them."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from actionpool.devstack import free_port
from tests.backstage import backend
from tests.backstage.backend import GUEST, TEAM, Backstage
from tests.conftest import delete_prefix
from tests.e2e.conftest import Pool, pool_env
from tests.e2e.processes import start_api, start_worker
from tests.identity import static_token, tokens_json

PROXY_TOKEN = "apt_backstage-e2e-proxy-token"
"""The proxy endpoint's static token (app-config.yaml's ACTIONPOOL_TOKEN), bound to TEAM."""

INVOKE_WAIT_S = 10
"""How long the pool holds a distributed action's invoke (ACTIONPOOL_INVOKE_WAIT_S)."""

TEMPLATES = [
    "actionpool-proxy",
    "actionpool-direct",
    "actionpool-registry",
    "actionpool-module",
    "actionpool-direct-long",
    "actionpool-golden-path",
]
TEST_TEMPLATES = ["actionpool-registry-unattached"]

RUN_KEY = re.compile(r"run:([0-9a-f-]{36})$")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Install and build the backend before the first test, outside any test's timeout (a
    cold `npm ci` takes minutes), and only when a Backstage test is selected."""
    if any(item.get_closest_marker("backstage") for item in session.items):
        try:
            backend.install()
        except backend.InstallError as exc:
            pytest.exit(str(exc), returncode=1)


class PoolUnderTest(Pool):
    """The pool, with what a test reads of it beyond its API: the runs a task made."""

    def __init__(self, *args: Any, redis_url: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.redis = redis.Redis.from_url(redis_url, decode_responses=True)
        self.prefix = self.env["ACTIONPOOL_KEY_PREFIX"]

    def run_ids(self) -> list[str]:
        keys = self.redis.scan_iter(match=f"{self.prefix}run:*", count=1000)
        return [m.group(1) for k in keys if (m := RUN_KEY.search(k[len(self.prefix) :]))]

    def runs(self) -> list[dict[str, Any]]:
        """Every run of the pool, as `GET /v1/runs/{id}` shows it, oldest first."""
        runs = [self.http.get(f"/v1/runs/{run_id}").json() for run_id in self.run_ids()]
        return sorted(runs, key=lambda run: run["createdAt"])

    def runs_of_task(self, task_id: str) -> list[dict[str, Any]]:
        return [run for run in self.runs() if run["context"].get("taskId") == task_id]

    def runs_mentioning(self, text: str) -> list[dict[str, Any]]:
        """Runs whose input has `text` in it (runs made without a task id in their context)."""
        return [run for run in self.runs() if text in json.dumps(run["input"])]


@pytest.fixture(scope="session")
def backstage_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def git_remotes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the golden path's tests keep bare repositories: the pool may push there over
    file:// (ACTIONPOOL_GIT__FILE_ROOTS), and nowhere else on this machine."""
    return tmp_path_factory.mktemp("git-remotes")


@pytest.fixture(scope="session")
def pool(
    redis_url: str,
    backstage_port: int,
    git_remotes: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[PoolUnderTest]:
    prefix = f"apbs:{uuid.uuid4().hex[:8]}:"
    proxy = static_token(PROXY_TOKEN, "backstage-proxy", ["runs:create", "runs:read"], [TEAM])
    env = pool_env(
        redis_url,
        prefix,
        ACTIONPOOL_BACKSTAGE_URL=f"http://127.0.0.1:{backstage_port}",
        ACTIONPOOL_STATIC_TOKENS=tokens_json(proxy),
        ACTIONPOOL_USER_OWNERS=json.dumps({GUEST: [TEAM]}),
        # The actions' declared limits (debug:sleep may run an hour), not the e2e's short ones
        ACTIONPOOL_ACTION_OVERRIDES="{}",
        ACTIONPOOL_INVOKE_WAIT_S=str(INVOKE_WAIT_S),
        ACTIONPOOL_GIT__FILE_ROOTS=json.dumps([str(git_remotes)]),
    )
    logs = tmp_path_factory.mktemp("pool-logs")
    api = start_api(env, logs)
    worker = start_worker(env, logs)
    started = PoolUnderTest(env, api, worker, redis_url=redis_url)
    yield started
    started.http.close()
    started.redis.close()
    api.stop()
    worker.stop()
    delete_prefix(redis.Redis.from_url(redis_url), prefix)


@pytest.fixture(scope="session")
def backstage(
    pool: PoolUnderTest, backstage_port: int, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backstage]:
    env = {"ACTIONPOOL_URL": pool.url, "ACTIONPOOL_TOKEN": PROXY_TOKEN}
    service = backend.start_backend(backstage_port, env, tmp_path_factory.mktemp("backstage"))
    client = Backstage(backstage_port, service)
    try:
        started = time.monotonic()
        # The guest's sign-in names its team only once the catalog has the user
        templates = [f"template:default/{name}" for name in TEMPLATES + TEST_TEMPLATES]
        client.wait_for_catalog([GUEST, TEAM, *templates])
        backend.report(f"catalog serving the templates: {time.monotonic() - started:.1f} s")
        yield client
    finally:
        client.http.close()
        service.stop()
