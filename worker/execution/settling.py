"""`Settler`: writes how an attempt ended (completed, failed for good, retried with its next
message in the same step, or cancelled when that was asked meanwhile), with what the run
shows from then on (its output, the completion event and so the SSE stream, its error)
masked of the run's secret values.

Every write rides out a Redis outage through the executor's `durably`.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

from actionpool.actions.action import Action
from actionpool.actions.redaction import Redactor
from actionpool.worker.execution import outcomes
from actionpool.worker.execution.dispatch import Dispatcher
from actionpool.worker.execution.policy import decide_retry
from actionpool.worker.store.changes import Settlement
from actionpool.worker.store.records import Attempt, ErrorInfo, Run, RunStatus
from actionpool.worker.store.store import RunStore

log = logging.getLogger(__name__)


class Settler:
    def __init__(
        self,
        store: RunStore,
        dispatcher: Dispatcher,
        *,
        durably: Callable[[Callable[[], Any]], Any],
        rng: random.Random,
    ) -> None:
        self.store = store
        self.clock = store.clock
        self.dispatcher = dispatcher
        self.durably = durably
        self.rng = rng

    def complete(
        self, run: Run, attempt: Attempt, output: dict[str, Any], redactor: Redactor
    ) -> str:
        """Record the output (every string in it masked) and the completion event."""
        masked: dict[str, Any] = redactor.redact_json(output)
        status = self.settle(run, outcomes.completed(attempt, masked, self.clock.now()))
        if status != RunStatus.COMPLETED:
            log.warning("run %s attempt %d no longer held; output dropped", run.id, attempt.number)
        return status

    def fail(self, run: Run, attempt: Attempt, error: BaseException, reason: str) -> str:
        """Fail the run for good, no retry asked: it cannot run at all (its action is not
        installed, its secrets cannot be read), so its error holds none of its secrets."""
        info = outcomes.error_info(error, Redactor(()))
        return self.settle(run, outcomes.failed(attempt, info, reason, self.clock.now()))

    def settle(self, run: Run, settlement: Settlement, expired_by: datetime | None = None) -> str:
        """Write the settlement; the status it set, or why not ('stale', 'alive')."""
        outcome = self.durably(lambda: self.store.settle(run, settlement, expired_by=expired_by))
        if outcome != "settled":
            return str(outcome)
        return "retrying" if settlement.status == RunStatus.OPEN else settlement.status

    def settle_failure(
        self,
        run: Run,
        action: Action[Any, Any],
        attempt: Attempt,
        info: ErrorInfo,
        error: BaseException,
        expired_by: datetime | None = None,
    ) -> str:
        """A failed attempt (`info`: its error, already masked): cancelled if that was asked,
        else retried or failed for good as the action's retry policy decides."""
        now = self.clock.now()
        deadline = run.deadline_at
        if self.durably(lambda: self.store.cancel_requested(run.id)):
            return self.settle(run, outcomes.cancelled(attempt, now), expired_by)
        decision = decide_retry(
            error,
            attempt=attempt.number,
            max_attempts=run.max_attempts,
            policy=action.retry,
            rng=self.rng,
            deadline_in_s=None if deadline is None else (deadline - now).total_seconds(),
        )
        if not decision.retry:
            failed = outcomes.failed(attempt, info, decision.reason, now)
            return self.settle(run, failed, expired_by)
        status = self._retry(run, action, attempt, info, decision.delay_s, expired_by)
        asked_meanwhile = status == "retrying" and self.durably(
            lambda: self.store.cancel_requested(run.id)
        )
        if asked_meanwhile:
            self.durably(lambda: self.store.cancel(run.id, run.queue))
            return RunStatus.CANCELLED
        return status

    def _retry(
        self,
        run: Run,
        action: Action[Any, Any],
        attempt: Attempt,
        info: ErrorInfo,
        delay_s: float,
        expired_by: datetime | None,
    ) -> str:
        """Back to open, with the next attempt's message (after `delay_s`) in the same step."""
        queue_timeout_s = (
            None if action.queue_timeout_s is None else delay_s + action.queue_timeout_s
        )
        message = self.dispatcher.message(run, action, attempt.number + 1, delay_s)
        retry = outcomes.retrying(
            attempt,
            info,
            self.clock.now(),
            delay_s=delay_s,
            message=message,
            deadline_at=run.deadline_at,
            queue_timeout_s=queue_timeout_s,
        )
        return self.settle(run, retry, expired_by)
