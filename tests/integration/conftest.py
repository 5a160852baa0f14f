"""Integration fixtures: the store, registry and dispatcher on the real Redis, per-test prefix,
and a clock the tests move (deadlines and leases without sleeping)."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from actionpool.actions.registry import Registry, build_registry
from actionpool.worker.broker.app import create_celery_app
from actionpool.worker.broker.envelope import Envelopes
from actionpool.worker.client import PoolClient, RunRequest, new_run
from actionpool.worker.execution.dispatch import Dispatcher
from actionpool.worker.execution.executor import Executor, Timing
from actionpool.worker.settings import PoolSettings
from actionpool.worker.store.aio import AsyncRunStore
from actionpool.worker.store.records import RunContext
from actionpool.worker.store.store import RunStore
from tests.clock import ManualClock
from tests.secrets_keys import SECRETS_KEYS


@pytest.fixture
def settings(redis_url: str, key_prefix: str, tmp_path: Path) -> PoolSettings:
    return PoolSettings(
        redis_url=redis_url,
        key_prefix=key_prefix,
        workspace_root=tmp_path / "ws",
        secrets_keys=SECRETS_KEYS,
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(settings: PoolSettings, clock: ManualClock) -> Iterator[RunStore]:
    store = RunStore.from_settings(settings, clock)
    yield store
    store.close()


@pytest.fixture
def registry() -> Registry:
    return build_registry()


@pytest.fixture
def dispatcher(settings: PoolSettings, clock: ManualClock) -> Dispatcher:
    return Dispatcher(Envelopes(create_celery_app(settings)), clock)


class Broker:
    """Reads what was put on a queue (the kombu Redis list under the key prefix)."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def messages(self, queue: str = "default") -> list[dict[str, Any]]:
        raw = self.client.lrange(f"{self.prefix}{queue}", 0, -1)
        return [json.loads(m) for m in raw]

    def task_args(self, queue: str = "default") -> list[list[Any]]:
        return [json.loads(base64.b64decode(m["body"]))[0] for m in self.messages(queue)]

    def drop(self, queue: str = "default") -> int:
        """Lose every message waiting on a queue (as a broker fault would)."""
        return int(self.client.delete(f"{self.prefix}{queue}"))


@pytest.fixture
def broker(redis_url: str, key_prefix: str) -> Broker:
    return Broker(redis.Redis.from_url(redis_url), key_prefix)


MakeRun = Callable[..., str]


@pytest.fixture
def make_run(store: RunStore, registry: Registry, dispatcher: Dispatcher) -> MakeRun:
    """Record a run of an action with its attempt-1 message, in one step, as the API does."""

    def make(
        action_id: str,
        input: dict[str, Any],
        secrets: dict[str, str] | None = None,
        context: RunContext | None = None,
    ) -> str:
        action = registry.get(action_id)
        request = RunRequest(input=input, context=context or RunContext(), secrets={})
        run = new_run(action, request, store.now())
        message = dispatcher.message(run, action, 1)
        call = store.writes.create(
            run, message, fingerprint="test", key_digest=None, secrets=secrets or {}
        )
        assert store.run(call).created
        return run.id

    return make


@pytest.fixture
async def client(
    settings: PoolSettings, clock: ManualClock, registry: Registry, dispatcher: Dispatcher
) -> AsyncIterator[PoolClient]:
    """The API's client on the same Redis, registry and clock."""
    client = PoolClient(
        registry,
        AsyncRunStore.from_settings(settings, clock),
        dispatcher,
        socket_timeout_s=settings.redis_socket_timeout_s,
    )
    yield client
    await client.close()


KILLS: list[int] = []
"""Grace kills the `executor` fixture would have done."""


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
