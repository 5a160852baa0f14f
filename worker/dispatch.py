"""`Dispatcher`: puts an attempt of a run on its action's queue (Celery `send_task`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from celery import Celery
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from actions.action import Action
from actions.errors import StoreUnavailableError
from worker import spans
from worker.app import TASK_NAME
from worker.policy import TimeLimits, time_limits_of
from worker.records import now


class Dispatcher:
    """Publishes attempt messages. Only ids and the trace context travel in messages: never
    input or secrets. Each publish is a producer span of the current trace."""

    def __init__(self, celery: Celery) -> None:
        self.celery = celery

    def dispatch(
        self,
        run_id: str,
        action: Action[Any, Any],
        attempt: int,
        countdown_s: float = 0.0,
        deadline_at: datetime | None = None,
    ) -> None:
        deadline_in_s = None
        if deadline_at is not None:  # the attempt may run until the deadline, at most
            deadline_in_s = max(1.0, (deadline_at - now()).total_seconds() - countdown_s)
        limits = time_limits_of(action, deadline_in_s)
        task_id = f"{run_id}.{attempt}"
        with spans.message_span("send", action.queue, task_id, attempt):
            self._send(task_id, run_id, attempt, action.queue, limits, countdown_s)

    def _send(
        self,
        task_id: str,
        run_id: str,
        attempt: int,
        queue: str,
        limits: TimeLimits,
        countdown_s: float,
    ) -> None:
        try:
            self.celery.send_task(
                TASK_NAME,
                args=[run_id, attempt],
                queue=queue,
                task_id=task_id,
                soft_time_limit=limits.soft_s,  # type: ignore[arg-type]  # floats work
                time_limit=limits.hard_s,  # type: ignore[arg-type]
                countdown=countdown_s if countdown_s > 0 else None,
                headers=spans.inject_headers(),
            )
        except (OperationalError, RedisError, OSError) as exc:
            raise StoreUnavailableError(f"cannot reach the broker: {exc}") from exc
