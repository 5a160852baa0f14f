"""Entry point of a worker process: build the pool's Celery app and run `celery worker`."""

from __future__ import annotations

import logging

from celery import Celery
from celery.exceptions import SoftTimeLimitExceeded

from actions.registry import Registry
from worker.app import create_celery_app
from worker.dispatch import Dispatcher
from worker.execution import Executor
from worker.settings import PoolSettings
from worker.store import RunStore
from worker.tasks import register_run_task

log = logging.getLogger(__name__)


def create_worker_app(settings: PoolSettings, registry: Registry) -> Celery:
    """The Celery app with the run task registered and bound to a store and registry."""
    app = create_celery_app(settings)
    executor = Executor(
        RunStore.from_settings(settings),
        registry,
        Dispatcher(app, visibility_timeout_s=settings.visibility_timeout_s),
        worker_name=settings.worker_name,
        workspace_root=settings.workspace_root,
        timeout_errors=(SoftTimeLimitExceeded,),
    )
    register_run_task(app, executor)
    return app


def worker_argv(settings: PoolSettings, queues: list[str], loglevel: str = "INFO") -> list[str]:
    return [
        "worker",
        f"--loglevel={loglevel}",
        f"--hostname={settings.worker_name}",
        f"--concurrency={settings.worker_concurrency}",
        f"--queues={','.join(queues)}",
        "--pool=prefork",
        "--without-gossip",
        "--without-mingle",
    ]


def run_worker(settings: PoolSettings, registry: Registry, loglevel: str = "INFO") -> None:
    """Run a Celery worker in this process until it is stopped (SIGTERM: warm shutdown)."""
    logging.basicConfig(level=loglevel, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for error in registry.plugin_errors:
        log.error("plugin not loaded: %s", error)
    app = create_worker_app(settings, registry)
    queues = settings.worker_queues or registry.queues()
    app.worker_main(worker_argv(settings, queues, loglevel))
