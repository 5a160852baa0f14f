"""Plain Celery: the pool's Celery config with one no-op task, and its worker.

`python -m bench.plain` runs the worker exactly as `actionpool worker` runs the pool's
(`worker.main.worker_argv`: prefork, same concurrency, no gossip, no mingle; late ack and
prefetch 1 come from the shared `celery_config`).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import Celery, Task
from redis import Redis

from actionpool.worker.broker.app import celery_config
from actionpool.worker.execution.main import worker_argv
from actionpool.worker.settings import PoolSettings

NOOP_TASK = "bench.noop"
QUEUE = "default"


def done_key(prefix: str) -> str:
    """List of "<accepted> <started>" epoch seconds, one per no-op task run."""
    return f"{prefix}bench:done"


def create_plain_app(settings: PoolSettings) -> tuple[Celery, Task[Any, Any]]:
    """A Celery app with the pool's config and the no-op task (a producer or a worker)."""
    app = Celery("bench-plain", set_as_current=False)
    app.conf.update(celery_config(settings))
    key = done_key(settings.key_prefix)
    clients: dict[str, Redis] = {}

    @app.task(name=NOOP_TASK, acks_late=True, reject_on_worker_lost=True, shared=False)
    def noop(accepted: float) -> None:
        """Does nothing but record when it started (one RPUSH, the measuring cost)."""
        started = time.time()
        client = clients.get("redis") or clients.setdefault(
            "redis", Redis.from_url(settings.redis_url)
        )
        client.rpush(key, f"{accepted} {started}")

    return app, noop


def main() -> None:
    loglevel = "INFO"
    logging.basicConfig(level=loglevel, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = PoolSettings()
    app, _ = create_plain_app(settings)
    app.worker_main(worker_argv(settings, [QUEUE], loglevel))


if __name__ == "__main__":
    main()
