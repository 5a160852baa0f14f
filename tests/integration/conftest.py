"""Integration fixtures: the store, registry and dispatcher on the real Redis, per-test prefix."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from actions.registry import Registry, build_registry
from worker.app import create_celery_app
from worker.dispatch import Dispatcher
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
