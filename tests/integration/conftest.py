"""Integration fixtures: the store, registry and dispatcher on the real Redis, per-test prefix."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from actions.registry import Registry, build_registry
from worker.app import create_celery_app
from worker.client import PoolClient, RunRequest, new_run
from worker.connection import connect_async
from worker.dispatch import Dispatcher
from worker.execution import Executor, Timing
from worker.records import RunContext
from worker.settings import PoolSettings
from worker.store import RunStore


@pytest.fixture
def settings(redis_url: str, key_prefix: str, tmp_path: Path) -> PoolSettings:
    return PoolSettings(redis_url=redis_url, key_prefix=key_prefix, workspace_root=tmp_path / "ws")


@pytest.fixture
def store(settings: PoolSettings) -> Iterator[RunStore]:
    store = RunStore.from_settings(settings)
    yield store
    store.redis.close()


@pytest.fixture
def registry() -> Registry:
    return build_registry()


@pytest.fixture
def dispatcher(settings: PoolSettings) -> Dispatcher:
    return Dispatcher(create_celery_app(settings))


class Broker:
    """Reads what was published to a queue (the kombu Redis list under the key prefix)."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def messages(self, queue: str = "default") -> list[dict[str, Any]]:
        raw = self.client.lrange(f"{self.prefix}{queue}", 0, -1)
        return [json.loads(m) for m in raw]

    def task_args(self, queue: str = "default") -> list[list[Any]]:
        import base64

        return [json.loads(base64.b64decode(m["body"]))[0] for m in self.messages(queue)]


@pytest.fixture
def broker(redis_url: str, key_prefix: str) -> Broker:
    return Broker(redis.Redis.from_url(redis_url), key_prefix)


@pytest.fixture
def make_run(store: RunStore, registry: Registry, dispatcher: Dispatcher) -> Callable[..., str]:
    """Record a run of an action and publish its first attempt, as the API would."""

    def make(action_id: str, input: dict[str, Any], secrets: dict[str, str] | None = None) -> str:
        action = registry.get(action_id)
        run = new_run(action, RunRequest(input=input, context=RunContext(), secrets={}))
        store.create(run, fingerprint="test", key_digest=None, secrets=secrets or {})
        dispatcher.dispatch(run.id, action, 1, deadline_at=run.deadline_at)
        return run.id

    return make


@pytest.fixture
async def client(
    settings: PoolSettings, store: RunStore, registry: Registry, dispatcher: Dispatcher
) -> AsyncIterator[PoolClient]:
    """The API's client on the same store, registry and broker."""
    client = PoolClient(
        registry,
        store,
        dispatcher,
        connect_async(settings),
        socket_timeout_s=settings.redis_socket_timeout_s,
    )
    yield client
    await client.aredis.aclose()


@pytest.fixture
def executor(
    settings: PoolSettings, store: RunStore, registry: Registry, dispatcher: Dispatcher
) -> Executor:
    """An executor with fast heartbeats, that records (instead of doing) the grace kill."""
    return Executor(
        store,
        registry,
        dispatcher,
        worker_name="w1",
        workspace_root=settings.workspace_root,
        timing=Timing(heartbeat_interval_s=0.1, cancel_grace_s=0.5),
        on_grace_expired=lambda: KILLS.append(1),
        rng=random.Random(0),
    )


KILLS: list[int] = []
"""Grace kills the `executor` fixture would have done."""
