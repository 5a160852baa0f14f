"""`RetryRequest`: an operator (or Backstage's task retry) asks for a failed or cancelled run
again. The run is reopened as its next attempt with the action's full attempt budget and fresh
time limits from now, keeping its checkpoints (`worker.store.retries`, `retry.lua`).

Idempotent: a request with an `Idempotency-Key` answers a resend with the run as that retry
left it; a resend after a lost reply finds its own retry by the call's token.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from actionpool.actions.action import Action
from actionpool.actions.errors import (
    InputValidationError,
    RunNotFoundError,
    RunNotRetryableError,
    UnknownActionError,
)
from actionpool.actions.registry import Registry
from actionpool.worker.clock import after, iso, ms
from actionpool.worker.execution.dispatch import Dispatcher
from actionpool.worker.intake.idempotency import parse_key_header, retry_digest
from actionpool.worker.store.aio import AsyncRunStore
from actionpool.worker.store.changes import Message, open_due_ms, secrets_ttl_until
from actionpool.worker.store.records import Run, RunStatus
from actionpool.worker.store.retries import Reopening, Retry
from actionpool.worker.telemetry import spans

RETRYABLE = frozenset({RunStatus.FAILED, RunStatus.CANCELLED})


@dataclasses.dataclass(frozen=True)
class RetryRequest:
    run_id: str
    requested_by: str
    secrets: dict[str, str] = dataclasses.field(default_factory=dict)
    header_key: str | None = None


def reopened(run: Run, action: Action[Any, Any], now: datetime) -> Run:
    """The run as its next attempt sees it: open, the action's whole attempt budget after
    the attempts it used, its queue timeout and deadline counted from now."""
    return run.model_copy(
        update={
            "status": RunStatus.OPEN,
            "error": None,
            "finished_at": None,
            "cancel_requested_at": None,
            "max_attempts": run.attempt + action.retry.max_attempts,
            "queue_deadline_at": after(now, action.queue_timeout_s),
            "deadline_at": after(now, action.deadline_s),
        }
    )


def reopened_fields(run: Run) -> dict[str, str]:
    """The run hash fields a retry sets (`retry.lua` drops the old limits first)."""
    fields = {"maxAttempts": str(run.max_attempts)}
    if run.deadline_at is not None:
        fields |= {"deadlineAt": iso(run.deadline_at), "deadlineMs": str(ms(run.deadline_at))}
    if run.queue_deadline_at is not None:
        fields |= {
            "queueDeadlineAt": iso(run.queue_deadline_at),
            "queueDeadlineMs": str(ms(run.queue_deadline_at)),
        }
    return fields


def reopening_of(
    run: Run, message_of: Callable[[Run], Message], request: RetryRequest, now: datetime
) -> Reopening:
    """What the store needs to reopen `run` (already `reopened`) with `message_of(run)`."""
    due_ms = open_due_ms(
        ms(run.deadline_at) if run.deadline_at else None,
        ms(run.queue_deadline_at) if run.queue_deadline_at else None,
    )
    attempt = run.attempt + 1
    log = {"message": f"Retry requested by {request.requested_by}: attempt {attempt} queued"}
    return Reopening(
        message=message_of(run),
        fields=reopened_fields(run),
        ready_ms=ms(now),
        due_ms=due_ms,
        log=log,
        secrets=request.secrets,
        secrets_ttl_s=secrets_ttl_until(now, run.deadline_at),
    )


def answer(retry: Retry, run_id: str) -> Run:
    """The run a retry left, or the domain error its outcome stands for."""
    if retry.run is None:
        raise RunNotFoundError(f"No run with id {run_id!r}")
    if retry.outcome in ("retried", "replay"):
        return retry.run
    if retry.outcome == "secrets-required":
        raise InputValidationError(
            f"run {run_id} was started with secrets, which the pool drops when a run ends: "
            "send them again in the body's `secrets` to retry it"
        )
    status = retry.run.status
    if retry.outcome == "stale":
        raise RunNotRetryableError(
            f"run {run_id} changed while it was being retried: it is {status}"
        )
    raise RunNotRetryableError(
        f"run {run_id} is {status}: only a failed or cancelled run is retried"
    )


async def retry_run(
    store: AsyncRunStore, registry: Registry, dispatcher: Dispatcher, request: RetryRequest
) -> Run:
    """Reopen a failed or cancelled run as its next attempt (module doc)."""
    run = await store.get(request.run_id)
    key = parse_key_header(request.header_key) if request.header_key is not None else None
    key_digest = retry_digest(run.id, key) if key is not None else None
    if run.status not in RETRYABLE and key_digest is None:
        raise RunNotRetryableError(
            f"run {run.id} is {run.status}: only a failed or cancelled run is retried"
        )
    action = action_of(registry, run)
    now = store.now()
    with spans.attached(spans.run_attributes(run)):
        reopening = reopening_of(
            reopened(run, action, now),
            lambda r: dispatcher.message(r, action, r.attempt + 1),
            request,
            now,
        )
    token = uuid.uuid4().hex
    call = store.writes.retry(run, reopening, now, token=token, key_digest=key_digest)
    return answer(await store.commit(call), run.id)


def action_of(registry: Registry, run: Run) -> Action[Any, Any]:
    try:
        return registry.get(run.action_id)
    except UnknownActionError:
        raise RunNotRetryableError(
            f"run {run.id}'s action {run.action_id!r} is no longer served by this pool"
        ) from None
