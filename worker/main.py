"""Entry point of a worker process: build the pool's Celery app and run `celery worker`."""

from __future__ import annotations

import logging
import os
import signal

from celery import Celery
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_ready, worker_shutdown

from actions.registry import Registry
from worker.app import create_celery_app
from worker.dispatch import Dispatcher
from worker.execution import Executor, Timing
from worker.recovery import Sweeper
from worker.settings import PoolSettings
from worker.store import RunStore
from worker.tasks import register_run_task

log = logging.getLogger(__name__)


def create_worker_app(settings: PoolSettings, registry: Registry) -> Celery:
    """The Celery app with the run task registered and bound to a store and registry, and
    the recovery sweep started with the worker (in its main process)."""
    app = create_celery_app(settings)
    executor = Executor(
        RunStore.from_settings(settings),
        registry,
        Dispatcher(app),
        worker_name=settings.worker_name,
        workspace_root=settings.workspace_root,
        timing=Timing(
            heartbeat_interval_s=settings.heartbeat_interval_s,
            cancel_grace_s=settings.cancel_grace_s,
        ),
        timeout_errors=(SoftTimeLimitExceeded,),
        on_grace_expired=kill_this_process,
    )
    register_run_task(app, executor)
    sweeper = Sweeper(
        executor.leases,
        executor,
        interval_s=settings.sweep_interval_s,
        redispatch_after_s=settings.redispatch_after_s,
    )
    worker_ready.connect(lambda **_: sweeper.start(), weak=False)
    worker_shutdown.connect(lambda **_: sweeper.stop(), weak=False)
    return app


def kill_this_process() -> None:
    """In a prefork child: die at once; Celery replaces the child, the main process records
    the attempt (cancelled, since cancellation was asked)."""
    os.kill(os.getpid(), signal.SIGKILL)


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
