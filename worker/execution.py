"""`Executor`: runs one attempt of a run and records how it ended.

The Celery task and its request hooks are thin shells over `run_attempt` and `settle_lost`.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import shutil
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from opentelemetry import trace

from actions.action import Action
from actions.context import ActionContext, BackstageContext
from actions.errors import (
    ActionPoolError,
    ActionTimeoutError,
    DeadlineExceededError,
    LeaseLostError,
    UnknownActionError,
)
from actions.redaction import Redactor
from actions.registry import Registry
from actions.tracing import record_error
from worker import outcomes, spans, tracing
from worker.checkpoints import RunCheckpoints
from worker.dispatch import Dispatcher
from worker.heartbeat import Beater, Heartbeat
from worker.leases import Leases
from worker.policy import decide_retry, time_limits_of
from worker.records import Attempt, ErrorInfo, Run, RunStatus, now
from worker.runlog import run_logger
from worker.store import RunStore

log = logging.getLogger(__name__)

RESULT = "cicd.pipeline.task.run.result"


def seconds_until(moment: datetime | None) -> float | None:
    return None if moment is None else (moment - now()).total_seconds()


@dataclasses.dataclass(frozen=True)
class Timing:
    """How often a running attempt heartbeats, and how long a cancelled one may take to stop."""

    heartbeat_interval_s: float = 2.0
    cancel_grace_s: float = 10.0


class Executor:
    def __init__(
        self,
        store: RunStore,
        registry: Registry,
        dispatcher: Dispatcher,
        *,
        worker_name: str,
        workspace_root: Path,
        timing: Timing,
        timeout_errors: tuple[type[BaseException], ...] = (),
        on_grace_expired: Callable[[], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.leases = Leases(store)
        self.beater = Beater(
            self.leases,
            interval_s=timing.heartbeat_interval_s,
            cancel_grace_s=timing.cancel_grace_s,
            on_grace_expired=on_grace_expired,
        )
        self.registry = registry
        self.dispatcher = dispatcher
        self.worker_name = worker_name
        self.workspace_root = workspace_root
        self.timeout_errors = timeout_errors
        self.rng = rng or random.Random()

    def run_attempt(self, run_id: str, number: int) -> str:
        """Claim attempt `number` of the run, run the action, record the outcome."""
        attempt = Attempt(number=number, worker=self.worker_name, started_at=now())
        claim = self.store.claim(run_id, attempt)
        if claim.outcome in outcomes.EXPIRIES:
            return self.expire(run_id, claim.outcome)
        if claim.run is None:
            log.info("run %s attempt %d not started: %s", run_id, number, claim.outcome)
            return claim.outcome
        run = claim.run
        attributes = spans.run_attributes(run, attempt=number, worker=self.worker_name)
        trace.get_current_span().set_attributes(attributes)  # the span of the message
        redactor = Redactor(claim.secrets.values())
        with (
            spans.attached(attributes, redactor.redact),
            tracing.tracer().start_as_current_span(
                f"{run.action_id} attempt {number}",
                record_exception=False,
                set_status_on_exception=False,
            ) as span,
        ):
            status = self._run_claimed(run, attempt, claim.secrets, redactor, span)
            span.set_attribute("actionpool.outcome", status)
            return status

    def _run_claimed(
        self,
        run: Run,
        attempt: Attempt,
        secrets: dict[str, str],
        redactor: Redactor,
        span: trace.Span,
    ) -> str:
        try:
            action = self.registry.get(run.action_id)
        except UnknownActionError as exc:  # not installed here: fail clearly, never hang
            record_error(span, exc, exc.name, str)
            return self._fail_unrunnable(run, attempt, exc)
        heartbeat = self.beater.attempt(run.id, attempt.number, seconds_until(run.deadline_at))
        try:
            with heartbeat:
                output = self._invoke(run, action, attempt, secrets, redactor, heartbeat)
        except self.timeout_errors:
            error: BaseException = ActionTimeoutError(
                f"attempt {attempt.number} passed its soft time limit"
            )
        except Exception as exc:
            error = exc
        else:
            span.set_attribute(RESULT, spans.result_of(RunStatus.COMPLETED))
            self._complete(run, attempt, output)
            return RunStatus.COMPLETED
        error = self._stop_reason(heartbeat, attempt.number) or error
        info = outcomes.error_info(error, redactor)
        record_error(span, error, info.name, redactor.redact)
        status = self._settle_failure(run, action, attempt, info, error)
        span.set_attribute(RESULT, spans.result_of(status, error))  # a cancel may have won
        return status

    @staticmethod
    def _stop_reason(heartbeat: Heartbeat, number: int) -> ActionPoolError | None:
        """Why the heartbeat stopped the attempt, if it did."""
        if heartbeat.deadline_passed:  # told to stop: the run's total deadline passed
            return DeadlineExceededError(f"attempt {number} ran past the run's deadline")
        if heartbeat.lost:  # stopped because the lease was lost: retryable, not a cancel
            return LeaseLostError(f"attempt {number} lost its lease (no heartbeat got through)")
        return None

    def _fail_unrunnable(self, run: Run, attempt: Attempt, error: ActionPoolError) -> str:
        reason = f"{run.action_id} is not installed on {self.worker_name}"
        self.store.settle(
            run.id, outcomes.failed(attempt, outcomes.error_info(error, Redactor(())), reason)
        )
        return RunStatus.FAILED

    def expire(self, run_id: str, kind: str) -> str:
        """Fail an open run that passed its queue timeout or its deadline: it never starts."""
        error = outcomes.EXPIRIES[kind]()
        outcome = self.store.expire(run_id, outcomes.error_info(error, Redactor(())))
        log.warning("run %s not started: %s (%s)", run_id, error.name, outcome)
        return RunStatus.FAILED if outcome == "expired" else outcome

    def redispatch(self, run_id: str, redispatch_after_s: float) -> str:
        """Publish again the next attempt of an open run that was due long ago and never
        started (its message was lost: a crash between record and publish, a Redis restart).
        A copy that turns out not to be lost is harmless: `claim` runs one of them."""
        run = self.store.get(run_id)
        if run.status != RunStatus.OPEN:
            return "stale"
        action = self.registry.get(run.action_id)
        self.store.mark_redispatched(run_id, redispatch_after_s)
        with spans.resumed(run.traceparent):
            self.dispatcher.dispatch(run_id, action, run.attempt + 1, deadline_at=run.deadline_at)
        log.warning("run %s: attempt %d published again", run_id, run.attempt + 1)
        return "redispatched"

    def recover(self, run_id: str, number: int, error: BaseException) -> str:
        """Settle attempt `number` of a run whose lease expired (the sweep's call); a newer
        attempt that holds the run meanwhile is left alone."""
        run = self.store.get(run_id)
        outcome = self._settle_lost(run, number, error)
        if outcome != "stale":
            self.store.count("leases_recovered", [run.action_id])
        return outcome

    def settle_lost(self, run_id: str, number: int, error: BaseException) -> str:
        """Record an attempt whose process died or was killed (called in the main process)."""
        return self._settle_lost(self.store.get(run_id), number, error)

    def _settle_lost(self, run: Run, number: int, error: BaseException) -> str:
        shutil.rmtree(self._workspace(run.id, number), ignore_errors=True)
        if run.status != RunStatus.PROCESSING or run.attempt != number:
            return "stale"
        attempt = next(a for a in run.attempts if a.number == number)
        action = self.registry.get(run.action_id)
        info = outcomes.error_info(error, Redactor(()))
        with spans.resumed(run.traceparent):  # a retry it publishes continues the run's trace
            return self._settle_failure(run, action, attempt, info, error)

    def _invoke(
        self,
        run: Run,
        action: Action[Any, Any],
        attempt: Attempt,
        secrets: dict[str, str],
        redactor: Redactor,
        heartbeat: Heartbeat,
    ) -> dict[str, Any]:
        workspace = self._workspace(run.id, attempt.number)
        context = run.context
        ctx = ActionContext(
            run_id=run.id,
            attempt=attempt.number,
            logger=run_logger(self.store, run.id, redactor),
            workspace_dir=workspace,
            checkpoints=RunCheckpoints(self.store, run.id, attempt.number),
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
            soft_deadline=time.monotonic() + self._soft_limit_s(run, action),
        )
        try:
            return action.invoke(run.input, ctx)
        finally:
            if workspace.exists():  # created only if the action used it
                shutil.rmtree(workspace, ignore_errors=True)

    @staticmethod
    def _soft_limit_s(run: Run, action: Action[Any, Any]) -> float:
        return time_limits_of(action, seconds_until(run.deadline_at)).soft_s

    def _workspace(self, run_id: str, number: int) -> Path:
        return self.workspace_root / f"{run_id}.{number}"

    def _complete(self, run: Run, attempt: Attempt, output: dict[str, Any]) -> None:
        if not self.store.settle(run.id, outcomes.completed(attempt, output)):
            log.warning("run %s attempt %d no longer held; output dropped", run.id, attempt.number)

    def _settle_failure(
        self,
        run: Run,
        action: Action[Any, Any],
        attempt: Attempt,
        info: ErrorInfo,
        error: BaseException,
    ) -> str:
        if self.store.cancel_requested(run.id):
            self.store.settle(run.id, outcomes.cancelled(attempt))
            return RunStatus.CANCELLED
        decision = decide_retry(
            error,
            attempt=attempt.number,
            max_attempts=run.max_attempts,
            policy=action.retry,
            rng=self.rng,
            deadline_in_s=seconds_until(run.deadline_at),
        )
        if not decision.retry:
            self.store.settle(run.id, outcomes.failed(attempt, info, decision.reason))
            return RunStatus.FAILED
        queue_timeout_s = (
            None if action.queue_timeout_s is None else (decision.delay_s + action.queue_timeout_s)
        )
        retry = outcomes.retrying(attempt, info, decision.delay_s, queue_timeout_s)
        if not self.store.settle(run.id, retry):
            return "stale"
        if self.store.cancel_requested(run.id):  # asked while this attempt was ending
            self.store.cancel(run.id)
            return RunStatus.CANCELLED
        self.dispatcher.dispatch(
            run.id, action, attempt.number + 1, decision.delay_s, run.deadline_at
        )
        return "retrying"
