"""The `ActionContext` of one attempt: its run's logger and checkpoints (both fenced by the
attempt, telling its heartbeat when a write is refused, and riding out a Redis blip through
`durably`), its workspace, its secrets, the Backstage context, cancellation and the soft
deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from actionpool.actions.context import ActionContext, BackstageContext
from actionpool.actions.redaction import Redactor
from actionpool.worker.execution.checkpoints import RunCheckpoints
from actionpool.worker.execution.heartbeat import Heartbeat
from actionpool.worker.execution.runlog import run_logger
from actionpool.worker.store.records import Run
from actionpool.worker.store.store import RunStore


def attempt_context(
    store: RunStore,
    run: Run,
    number: int,
    *,
    secrets: dict[str, str],
    redactor: Redactor,
    heartbeat: Heartbeat,
    workspace: Path,
    soft_limit_s: float,
    durably: Callable[[Callable[[], Any]], Any],
) -> ActionContext:
    context = run.context
    return ActionContext(
        run_id=run.id,
        attempt=number,
        logger=run_logger(store, run.id, number, redactor, heartbeat.mark_lost, durably),
        workspace_dir=workspace,
        checkpoints=RunCheckpoints(store, run.id, number, heartbeat.mark_lost, durably),
        secrets=secrets,
        backstage=BackstageContext(
            template_ref=context.template_ref,
            owner=context.owner,
            task_id=context.task_id,
            step_id=context.step_id,
            user_ref=context.user_ref,
        ),
        dry_run=run.dry_run,
        cancelled=heartbeat.cancelled,
        soft_deadline=time.monotonic() + soft_limit_s,
    )
