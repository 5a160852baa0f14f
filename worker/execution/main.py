"""Entry point of a worker process: build the pool's Celery app and run `celery worker`."""

from __future__ import annotations

import logging
import os
import signal

from celery import Celery
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import (
    setup_logging,
    worker_process_init,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

from actionpool.actions.registry import Registry
from actionpool.worker.broker.app import create_celery_app
from actionpool.worker.broker.envelope import Envelopes
from actionpool.worker.clock import ms
from actionpool.worker.execution.dispatch import Dispatcher
from actionpool.worker.execution.executor import Executor, Timing
from actionpool.worker.execution.presence import Beacon, announcement_of
from actionpool.worker.execution.sweep import Sweeper
from actionpool.worker.execution.tasks import register_run_task
from actionpool.worker.settings import PoolSettings, TelemetrySettings
from actionpool.worker.store.store import RunStore
from actionpool.worker.telemetry import spans, tracing
from actionpool.worker.telemetry.logs import configure_logging

log = logging.getLogger(__name__)


SERVICE_NAME = "actionpool-worker"


def create_worker_app(
    settings: PoolSettings, registry: Registry, telemetry: TelemetrySettings | None = None
) -> Celery:
    """The Celery app with the run task registered and bound to a store and registry, the
    recovery sweep and the worker's heartbeat (`GET /v1/workers`) started with the worker
    (in its main process), and tracing set up in each child process."""
    app = create_celery_app(settings)
    trace_children(telemetry or TelemetrySettings())
    store = RunStore.from_settings(settings)
    executor = Executor(
        store,
        registry,
        Dispatcher(Envelopes(app), store.clock),
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
    queues = settings.worker_queues or registry.queues()  # as `run_worker` gives Celery
    beacon = Beacon(store, announcement_of(settings, queues, ms(store.now())))
    worker_ready.connect(lambda **_: beacon.start(), weak=False)
    worker_shutdown.connect(lambda **_: beacon.stop(), weak=False)
    return app


def trace_children(telemetry: TelemetrySettings) -> None:
    """Each prefork child sets up its own tracer provider (never the parent's: its exporter
    threads and connections do not survive a fork) and flushes it before it exits."""

    def start(**_: object) -> None:
        if tracing.configure_tracing(telemetry, SERVICE_NAME, (spans.RunAttributeProcessor(),)):
            # actions' HTTP calls become child spans, their URLs masked
            HTTPXClientInstrumentor().instrument(
                request_hook=spans.mask_url, async_request_hook=spans.mask_url_async
            )

    worker_process_init.connect(start, weak=False)
    worker_process_shutdown.connect(lambda **_: tracing.shutdown_tracing(), weak=False)


def kill_this_process() -> None:
    """In a prefork child: die at once; Celery replaces the child, the main process records
    the attempt (cancelled, since cancellation was asked). Ended spans are exported first."""
    tracing.flush_spans()
    os.kill(os.getpid(), signal.SIGKILL)


def worker_argv(settings: PoolSettings, queues: list[str], loglevel: str = "INFO") -> list[str]:
    return [
        "--quiet",  # no banner: the process log stays one record per line
        "worker",
        f"--loglevel={loglevel}",
        f"--hostname={settings.worker_name}",
        f"--concurrency={settings.worker_concurrency}",
        f"--queues={','.join(queues)}",
        "--pool=prefork",
        "--without-gossip",
        "--without-mingle",
    ]


def keep_logging(app: Celery) -> None:
    """Celery's logging setup: ours stays as it is, and what actions print (stdout, stderr)
    joins it as log lines (JSON, the run's secrets masked) instead of raw text beside them, as
    Celery does when it sets logging up itself."""
    app.log.redirect_stdouts(app.conf.worker_redirect_stdouts_level)


def run_worker(
    settings: PoolSettings,
    registry: Registry,
    telemetry: TelemetrySettings,
) -> None:
    """Run a Celery worker in this process until it is stopped (SIGTERM: warm shutdown)."""
    configure_logging(settings.log_level, settings.log_format)
    for error in registry.plugin_errors:
        log.error("plugin not loaded: %s", error)
    app = create_worker_app(settings, registry, telemetry)
    setup_logging.connect(lambda **_: keep_logging(app), weak=False)
    queues = settings.worker_queues or registry.queues()
    app.worker_main(worker_argv(settings, queues, settings.log_level))
