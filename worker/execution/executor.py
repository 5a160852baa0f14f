"""`Executor`: runs one attempt of a run and has its end recorded (`worker.execution.settling`);
recovers and expires runs for the sweep.

The Celery task and its request hooks are thin shells over `run_attempt` and `settle_lost`.
Store calls ride out a Redis outage of up to a lease TTL (a blip stops no attempt).
"""

from __future__ import annotations

import dataclasses
import logging
import random
import shutil
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from opentelemetry import trace

from actionpool.actions.action import Action
from actionpool.actions.errors import (
    ActionPoolError,
    ActionTimeoutError,
    DeadlineExceededError,
    LeaseLostError,
    UnknownActionError,
)
from actionpool.actions.redaction import Redactor
from actionpool.actions.registry import Registry
from actionpool.actions.tracing import record_error
from actionpool.worker.execution import outcomes
from actionpool.worker.execution.context import attempt_context
from actionpool.worker.execution.dispatch import Dispatcher
from actionpool.worker.execution.heartbeat import Beater, Heartbeat
from actionpool.worker.execution.leases import Leases
from actionpool.worker.execution.policy import time_limits_of
from actionpool.worker.execution.settling import Settler
from actionpool.worker.store.connection import CONNECTION_ERRORS, outage_retrying
from actionpool.worker.store.records import Attempt, Run, RunStatus
from actionpool.worker.store.replies import EXPIRIES, Claim, Expiry
from actionpool.worker.store.store import RunStore
from actionpool.worker.telemetry import spans, tracing

log = logging.getLogger(__name__)

T = TypeVar("T")
RESULT = "cicd.pipeline.task.run.result"


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
        self.clock = store.clock
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
        self.outage_budget_s = store.limits.lease_ttl_ms / 1000
        self.settler = Settler(store, dispatcher, durably=self.durably, rng=rng or random.Random())

    def durably(self, call: Callable[[], T]) -> T:
        """`call`, and again and again through a Redis outage of up to a lease TTL (tenacity
        only once the first try failed: nothing on the common path)."""
        try:
            return call()
        except CONNECTION_ERRORS:
            return outage_retrying(self.outage_budget_s)(call)

    def seconds_until(self, moment: datetime | None) -> float | None:
        return None if moment is None else (moment - self.clock.now()).total_seconds()

    def run_attempt(self, run_id: str, number: int, queue: str) -> str:
        """Claim attempt `number` of the run (delivered from `queue`), run the action, record
        the outcome."""
        attempt = Attempt(number=number, worker=self.worker_name, started_at=self.clock.now())
        token = uuid.uuid4().hex
        claim = self.durably(lambda: self.store.claim(run_id, queue, attempt, token))
        if claim.outcome in EXPIRIES:
            return self.expire(run_id, queue, claim.outcome)
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
            status = self._run_claimed(run, attempt, claim, redactor, span)
            span.set_attribute("actionpool.outcome", status)
            return status

    def _run_claimed(
        self, run: Run, attempt: Attempt, claim: Claim, redactor: Redactor, span: trace.Span
    ) -> str:
        try:
            action = self.registry.get(run.action_id)
        except UnknownActionError as exc:  # not installed here: fail clearly, never hang
            reason = f"{run.action_id} is not installed on {self.worker_name}"
            return self._refuse(run, attempt, exc, reason, span)
        if claim.unreadable is not None:  # key dropped, or expired: no attempt can read them
            reason = "its secrets cannot be read"
            return self._refuse(run, attempt, claim.unreadable, reason, span)
        heartbeat = self.beater.attempt(run.id, attempt.number, self.seconds_until(run.deadline_at))
        try:
            with heartbeat:
                output = self._invoke(run, action, attempt, claim.secrets, redactor, heartbeat)
        except self.timeout_errors:
            error: BaseException = ActionTimeoutError(
                f"attempt {attempt.number} passed its soft time limit"
            )
        except Exception as exc:
            error = exc
        else:
            if heartbeat.lost:  # a zombie's output: the run belongs to a newer attempt
                error = LeaseLostError(f"attempt {attempt.number} lost its lease")
            else:
                span.set_attribute(RESULT, spans.result_of(RunStatus.COMPLETED))
                return self.settler.complete(run, attempt, output, redactor)
        error = self._stop_reason(heartbeat, attempt.number) or error
        info = outcomes.error_info(error, redactor)
        record_error(span, error, info.name, redactor.redact)
        status = self.settler.settle_failure(run, action, attempt, info, error)
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

    def _refuse(
        self, run: Run, attempt: Attempt, error: ActionPoolError, reason: str, span: trace.Span
    ) -> str:
        """Fail a claimed run that cannot run at all, at once and for good (never a hang, nor
        a retry that would fail the same way)."""
        record_error(span, error, error.name, str)
        return self.settler.fail(run, attempt, error, reason)

    def expire(self, run_id: str, queue: str, kind: Expiry) -> str:
        """Fail an open run that passed its queue timeout or its deadline: it never starts."""
        error = outcomes.EXPIRY_ERRORS[kind]()
        info = outcomes.error_info(error, Redactor(()))
        outcome = self.durably(lambda: self.store.expire(run_id, queue, info))
        log.warning("run %s not started: %s (%s)", run_id, error.name, outcome)
        return RunStatus.FAILED if outcome == "expired" else outcome

    def settle_lost(
        self,
        run_id: str,
        number: int,
        error: BaseException,
        *,
        expired_by: datetime | None = None,
    ) -> str:
        """Record attempt `number` as lost: its process died or was killed (the main
        process's call), or, with `expired_by` (the sweep's), its lease ran out before then;
        an attempt that renewed its lease meanwhile ('alive'), or a newer one ('stale'),
        keeps the run."""
        return self._settle_lost(self.store.get(run_id), number, error, expired_by)

    def _settle_lost(
        self, run: Run, number: int, error: BaseException, expired_by: datetime | None = None
    ) -> str:
        shutil.rmtree(self._workspace(run.id, number), ignore_errors=True)
        if run.status != RunStatus.PROCESSING or run.attempt != number:
            return "stale"
        attempt = next(a for a in run.attempts if a.number == number)
        action = self.registry.get(run.action_id)
        info = outcomes.error_info(error, Redactor(()))
        with spans.resumed(run.traceparent):  # a retry it puts out continues the run's trace
            return self.settler.settle_failure(run, action, attempt, info, error, expired_by)

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
        ctx = attempt_context(
            self.store,
            run,
            attempt.number,
            secrets=secrets,
            redactor=redactor,
            heartbeat=heartbeat,
            workspace=workspace,
            soft_limit_s=time_limits_of(action, self.seconds_until(run.deadline_at)).soft_s,
            durably=self.durably,
        )
        try:
            return action.invoke(run.input, ctx)
        finally:
            if workspace.exists():  # created only if the action used it
                shutil.rmtree(workspace, ignore_errors=True)

    def _workspace(self, run_id: str, number: int) -> Path:
        return self.workspace_root / f"{run_id}.{number}"
