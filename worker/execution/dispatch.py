"""`Dispatcher`: the message of an attempt of a run, with its queue, time limits, countdown
and trace context (the store puts it on the queue in the same step as the run's change)."""

from __future__ import annotations

from typing import Any

from actionpool.actions.action import Action
from actionpool.worker.broker.envelope import Envelopes
from actionpool.worker.clock import Clock, ms
from actionpool.worker.execution.policy import time_limits_of
from actionpool.worker.store.changes import Message
from actionpool.worker.store.records import Run
from actionpool.worker.telemetry import spans


class Dispatcher:
    """Only ids and the trace context travel in messages: never input or secrets. Building
    a message is the producer span of the current trace."""

    def __init__(self, envelopes: Envelopes, clock: Clock) -> None:
        self.envelopes = envelopes
        self.clock = clock

    def message(
        self, run: Run, action: Action[Any, Any], attempt: int, countdown_s: float = 0.0
    ) -> Message:
        """The message of `attempt`, on the run's queue, to start after `countdown_s`."""
        now = self.clock.now()
        deadline_in_s = None
        if run.deadline_at is not None:  # the attempt may run until the deadline, at most
            deadline_in_s = max(1.0, (run.deadline_at - now).total_seconds() - countdown_s)
        limits = time_limits_of(action, deadline_in_s)
        task_id = f"{run.id}.{attempt}"
        with spans.message_span("send", run.queue, task_id, attempt):
            return self.envelopes.attempt(
                run.id,
                attempt,
                run.queue,
                soft_limit_s=limits.soft_s,
                hard_limit_s=limits.hard_s,
                countdown_s=countdown_s,
                pushed_ms=ms(now),
                headers=spans.inject_headers(),
            )
