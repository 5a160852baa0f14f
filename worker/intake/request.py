"""`RunRequest`: what a caller asks for when it starts a run, and the record it becomes."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Any

from actionpool.actions.action import Action
from actionpool.worker.clock import after
from actionpool.worker.store.records import Run, RunContext, RunStatus
from actionpool.worker.telemetry import spans


@dataclasses.dataclass(frozen=True)
class RunRequest:
    """What a caller asks for when it starts a run."""

    input: dict[str, Any]
    context: RunContext
    secrets: dict[str, str]
    dry_run: bool = False
    body_key: str | None = None
    header_key: str | None = None


def new_run(action: Action[Any, Any], request: RunRequest, now: datetime) -> Run:
    """The record of a run about to be created: open, with its limits and trace context."""
    return Run(
        id=str(uuid.uuid4()),
        action_id=action.id,
        status=RunStatus.OPEN,
        input=request.input,
        max_attempts=action.retry.max_attempts,
        context=request.context,
        dry_run=request.dry_run,
        queue=action.queue,
        created_at=now,
        queue_deadline_at=after(now, action.queue_timeout_s),
        deadline_at=after(now, action.deadline_s),
        traceparent=spans.current_traceparent(),
    )
