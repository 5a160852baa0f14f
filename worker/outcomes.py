"""How an attempt ends, as data: the `Settlement` each outcome writes (pure functions)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from actions.errors import ActionPoolError, DeadlineExceededError, QueueTimeoutError
from actions.redaction import Redactor
from worker.records import Attempt, ErrorInfo, RunStatus, Settlement, iso, ms, now


def ended(attempt: Attempt, status: RunStatus, error: ErrorInfo | None = None) -> Attempt:
    return attempt.model_copy(update={"finished_at": now(), "status": status, "error": error})


def completed(attempt: Attempt, output: dict[str, Any]) -> Settlement:
    done = ended(attempt, RunStatus.COMPLETED)
    return Settlement(
        status=RunStatus.COMPLETED,
        attempt=done,
        fields={"output": json.dumps(output), "finishedAt": iso(done.finished_at or now())},
        event_type="completion",
        event_body={
            "message": "Run completed with status: completed",
            "status": RunStatus.COMPLETED,
            "output": output,
        },
    )


def retrying(
    attempt: Attempt, error: ErrorInfo, delay_s: float, queue_timeout_s: float | None = None
) -> Settlement:
    """Back to `open`; the caller publishes the next attempt after `delay_s`. With a queue
    timeout, the next attempt must start within `queue_timeout_s` from now."""
    message = (
        f"Attempt {attempt.number} failed with {error.name}: {error.message}; "
        f"retrying in {delay_s:.1f} s"
    )
    due_ms = str(ms(now() + timedelta(seconds=delay_s)))
    fields = {"dueMs": due_ms, "queuedMs": due_ms}
    if queue_timeout_s is not None:
        queue_deadline = now() + timedelta(seconds=queue_timeout_s)
        fields["queueDeadlineAt"] = iso(queue_deadline)
        fields["queueDeadlineMs"] = str(ms(queue_deadline))
    return Settlement(
        status=RunStatus.OPEN,
        attempt=ended(attempt, RunStatus.FAILED, error),
        fields=fields,
        event_type="log",
        event_body={"message": message, "level": "warning"},
    )


def failed(attempt: Attempt, error: ErrorInfo, reason: str) -> Settlement:
    done = ended(attempt, RunStatus.FAILED, error)
    return Settlement(
        status=RunStatus.FAILED,
        attempt=done,
        fields={"error": error.model_dump_json(), "finishedAt": iso(done.finished_at or now())},
        event_type="completion",
        event_body={
            "message": f"Run completed with status: failed ({reason})",
            "status": RunStatus.FAILED,
            "error": error.model_dump(),
        },
    )


def cancelled(attempt: Attempt) -> Settlement:
    done = ended(attempt, RunStatus.CANCELLED)
    return Settlement(
        status=RunStatus.CANCELLED,
        attempt=done,
        fields={"finishedAt": iso(done.finished_at or now())},
        event_type="cancelled",
        event_body={"message": "Run cancelled", "status": RunStatus.CANCELLED},
    )


EXPIRIES: dict[str, Callable[[], ActionPoolError]] = {
    "queue-timeout": lambda: QueueTimeoutError("the run waited on its queue past queue_timeout_s"),
    "deadline": lambda: DeadlineExceededError("the run passed its deadline (deadline_s)"),
}
"""Why `claim.lua` (or the sweep) may refuse to start an open run, and the error recorded."""


def error_info(error: BaseException, redactor: Redactor) -> ErrorInfo:
    name = error.name if isinstance(error, ActionPoolError) else type(error).__name__
    return ErrorInfo(name=name, message=redactor.redact(str(error)) or name)
