"""`create_celery_app`: the Celery app of the pool. Workers consume with it; every process
builds attempt messages with it (`worker.broker.envelope`); nobody publishes through it, since
a message goes onto its queue in the same Redis step as the state change it belongs to.

`celery_app`, an attribute of this module built from the environment when first read, is the
app for Celery's own tools, which take an app by import path and not a factory:
`celery --app actionpool.worker.broker.app:celery_app flower` (docs/operations.md#flower)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from celery import Celery

from actionpool.worker.settings import PoolSettings

TASK_NAME = "actionpool.run_attempt"


def celery_config(settings: PoolSettings) -> dict[str, Any]:
    """Celery settings for long-running actions on the Redis broker."""
    transport = {
        "global_keyprefix": settings.key_prefix,
        "visibility_timeout": settings.visibility_timeout_s,
        "socket_timeout": settings.redis_socket_timeout_s,
        "socket_connect_timeout": settings.redis_socket_timeout_s,
        "max_retries": 2,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
    }
    return {
        "broker_url": settings.redis_url,
        "broker_transport_options": transport,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": settings.redis_socket_timeout_s,
        "result_backend": None,
        "task_ignore_result": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "worker_concurrency": settings.worker_concurrency,
        "worker_pool": "prefork",
        # Task events (received, started, succeeded, ...) for monitors such as Flower; the
        # worker's heartbeat events go out either way. No `task_send_sent_event`: messages are
        # built by `envelope` and pushed by store scripts, never sent by a Celery producer.
        "worker_send_task_events": settings.task_events,
        "worker_hijack_root_logger": False,
        # A Redis blip must not stop running attempts: they keep their leases through it (a
        # lease TTL of grace) and their outcomes are written when Redis answers again. A
        # message handed out again meanwhile finds its run leased and is dropped at claim.
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "task_default_queue": "default",
        # SIGTERM (remapped to SIGQUIT by `actionpool worker`): stop taking runs, let running
        # attempts finish within the grace, then hand their messages back (soft shutdown).
        # An idle worker stops at once; a retry it held (an ETA message) is restored by the
        # broker, or put on the queue again by the sweep's guard.
        "worker_soft_shutdown_timeout": settings.worker_shutdown_grace_s,
        "worker_enable_soft_shutdown_on_idle": False,
    }


def create_celery_app(settings: PoolSettings) -> Celery:
    """A Celery app configured for the pool; the worker registers the task on it."""
    app = Celery("actionpool", set_as_current=False)
    app.conf.update(celery_config(settings))
    return app


def celery_app_from_env() -> Celery:
    """The pool's Celery app with the `ACTIONPOOL_` settings of the environment: its broker,
    key prefix and transport options, as the API and the workers have them."""
    return create_celery_app(PoolSettings())


if not TYPE_CHECKING:  # hidden from mypy, which would give every unknown name this type

    def __getattr__(name: str) -> Celery:
        """`celery_app`, built when first read (importing this module reads no settings)."""
        if name != "celery_app":
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        app = globals()["celery_app"] = celery_app_from_env()
        return app
