"""How an attempt ends, as data: the `Settlement` each outcome writes (pure functions)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from actionpool.actions.errors import ActionPoolError, DeadlineExceededError, QueueTimeoutError
from actionpool.actions.redaction import Redactor
from actionpool.worker.clock import iso, ms
from actionpool.worker.store.changes import Message, NextAttempt, Settlement, open_due_ms
from actionpool.worker.store.records import Attempt, ErrorInfo, RunStatus
from actionpool.worker.store.replies import Expiry


def ended(
    attempt: Attempt, status: RunStatus, now: datetime, error: ErrorInfo | None = None
) -> Attempt:
    return attempt.model_copy(update={"finished_at": now, "status": status, "error": error})


def completed(attempt: Attempt, output: dict[str, Any], now: datetime) -> Settlement:
    return Settlement(
        status=RunStatus.COMPLETED,
        attempt=ended(attempt, RunStatus.COMPLETED, now),
        fields={"output": json.dumps(output), "finishedAt": iso(now)},
        event_type="completion",
        event_body={
            "message": "Run completed with status: completed",
            "status": RunStatus.COMPLETED,
            "output": output,
        },
    )


def retrying(
    attempt: Attempt,
    error: ErrorInfo,
    now: datetime,
    *,
    delay_s: float,
    message: Message,
    deadline_at: datetime | None,
    queue_timeout_s: float | None = None,
) -> Settlement:
    """Back to `open`, with the next attempt's message (to start after `delay_s`) put on the
    queue in the same step. With a queue timeout, it must start within `queue_timeout_s`."""
    text = (
        f"Attempt {attempt.number} failed with {error.name}: {error.message}; "
        f"retrying in {delay_s:.1f} s"
    )
    ready_ms = ms(now + timedelta(seconds=delay_s))
    fields: dict[str, str] = {}
    queue_deadline_ms = None
    if queue_timeout_s is not None:
        queue_deadline = now + timedelta(seconds=queue_timeout_s)
        queue_deadline_ms = ms(queue_deadline)
        fields = {"queueDeadlineAt": iso(queue_deadline), "queueDeadlineMs": str(queue_deadline_ms)}
    deadline_ms = None if deadline_at is None else ms(deadline_at)
    return Settlement(
        status=RunStatus.OPEN,
        attempt=ended(attempt, RunStatus.FAILED, now, error),
        fields=fields,
        event_type="log",
        event_body={"message": text, "level": "warning"},
        next=NextAttempt(message, ready_ms, open_due_ms(deadline_ms, queue_deadline_ms)),
    )


def failed(attempt: Attempt, error: ErrorInfo, reason: str, now: datetime) -> Settlement:
    return Settlement(
        status=RunStatus.FAILED,
        attempt=ended(attempt, RunStatus.FAILED, now, error),
        fields={"error": error.model_dump_json(), "finishedAt": iso(now)},
        event_type="completion",
        event_body={
            "message": f"Run completed with status: failed ({reason})",
            "status": RunStatus.FAILED,
            "error": error.model_dump(),
        },
    )


def cancelled(attempt: Attempt, now: datetime) -> Settlement:
    return Settlement(
        status=RunStatus.CANCELLED,
        attempt=ended(attempt, RunStatus.CANCELLED, now),
        fields={"finishedAt": iso(now)},
        event_type="cancelled",
        event_body={"message": "Run cancelled", "status": RunStatus.CANCELLED},
    )


EXPIRY_ERRORS: dict[Expiry, Callable[[], ActionPoolError]] = {
    "queue-timeout": lambda: QueueTimeoutError("the run waited on its queue past queue_timeout_s"),
    "deadline": lambda: DeadlineExceededError("the run passed its deadline (deadline_s)"),
}
"""Why `claim.lua` (or the sweep) may refuse to start an open run, and the error recorded."""


def error_info(error: BaseException, redactor: Redactor) -> ErrorInfo:
    """The error a run shows, the run's secret values masked in its name and message."""
    name = error.name if isinstance(error, ActionPoolError) else type(error).__name__
    name = redactor.redact(name)
    return ErrorInfo(name=name, message=redactor.redact(str(error)) or name)
