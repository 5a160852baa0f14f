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

from actions.action import Action
from actions.context import ActionContext, BackstageContext
from actions.errors import (
    ActionPoolError,
    ActionTimeoutError,
    DeadlineExceededError,
    LeaseLostError,
    QueueTimeoutError,
    UnknownActionError,
)
from actions.registry import Registry
from worker import outcomes
from worker.dispatch import Dispatcher
from worker.heartbeat import Beater, Heartbeat
from worker.leases import Leases
from worker.policy import decide_retry, time_limits_of
from worker.records import Attempt, ErrorInfo, Run, RunStatus, now
from worker.redaction import Redactor
from worker.runlog import run_logger
from worker.store import RunStore

log = logging.getLogger(__name__)


EXPIRIES: dict[str, Callable[[], ActionPoolError]] = {
    "queue-timeout": lambda: QueueTimeoutError("the run waited on its queue past queue_timeout_s"),
    "deadline": lambda: DeadlineExceededError("the run passed its deadline (deadline_s)"),
}
"""Why `claim.lua` (or the sweep) may refuse to start an open run, and the error recorded."""


def seconds_until(moment: datetime | None) -> float | None:
    return None if moment is None else (moment - now()).total_seconds()


@dataclasses.dataclass(frozen=True)
class Timing:
    """How often a running attempt heartbeats, and how long a cancelled one may take to stop."""

    heartbeat_interval_s: float = 2.0
    cancel_grace_s: float = 10.0


class RunCheckpoints:
    """The `CheckpointStore` of one run, in Redis."""

    def __init__(self, store: RunStore, run_id: str, attempt: int) -> None:
        self.store = store
        self.run_id = run_id
        self.attempt = attempt

    def load(self, key: str) -> str | None:
        return self.store.load_checkpoint(self.run_id, key)

    def save(self, key: str, value_json: str) -> None:
        if not self.store.save_checkpoint(self.run_id, self.attempt, key, value_json):
            raise LeaseLostError(f"attempt {self.attempt} no longer holds run {self.run_id}")


def error_info(error: BaseException, redactor: Redactor) -> ErrorInfo:
    name = error.name if isinstance(error, ActionPoolError) else type(error).__name__
    return ErrorInfo(name=name, message=redactor.redact(str(error)) or name)


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
        if claim.outcome in EXPIRIES:
            return self.expire(run_id, claim.outcome)
        if claim.run is None:
            log.info("run %s attempt %d not started: %s", run_id, number, claim.outcome)
            return claim.outcome
        run = claim.run
        try:
            action = self.registry.get(run.action_id)
        except UnknownActionError as exc:  # not installed here: fail clearly, never hang
            return self._fail_unrunnable(run, attempt, exc)
        redactor = Redactor(claim.secrets.values())
        heartbeat = self.beater.attempt(run.id, number, seconds_until(run.deadline_at))
        try:
            with heartbeat:
                output = self._invoke(run, action, attempt, claim.secrets, redactor, heartbeat)
        except self.timeout_errors:
            error: BaseException = ActionTimeoutError(
                f"attempt {number} passed its soft time limit"
            )
        except Exception as exc:
            error = exc
        else:
            self._complete(run, attempt, output)
            return RunStatus.COMPLETED
        if heartbeat.deadline_passed:  # told to stop: the run's total deadline passed
            error = DeadlineExceededError(f"attempt {number} ran past the run's deadline")
        elif heartbeat.lost:  # stopped because the lease was lost: retryable, not a cancel
            error = LeaseLostError(f"attempt {number} lost its lease (no heartbeat got through)")
        return self._settle_failure(run, action, attempt, error_info(error, redactor), error)

    def _fail_unrunnable(self, run: Run, attempt: Attempt, error: ActionPoolError) -> str:
        reason = f"{run.action_id} is not installed on {self.worker_name}"
        self.store.settle(run.id, outcomes.failed(attempt, error_info(error, Redactor(())), reason))
        return RunStatus.FAILED

    def expire(self, run_id: str, kind: str) -> str:
        """Fail an open run that passed its queue timeout or its deadline: it never starts."""
        error = EXPIRIES[kind]()
        outcome = self.store.expire(run_id, error_info(error, Redactor(())))
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
        self.dispatcher.dispatch(run_id, action, run.attempt + 1, deadline_at=run.deadline_at)
        log.warning("run %s: attempt %d published again", run_id, run.attempt + 1)
        return "redispatched"

    def recover(self, run_id: str, number: int, error: BaseException) -> str:
        """Settle attempt `number` of a run whose lease expired (the sweep's call); a newer
        attempt that holds the run meanwhile is left alone."""
        return self.settle_lost(run_id, number, error)

    def settle_lost(self, run_id: str, number: int, error: BaseException) -> str:
        """Record an attempt whose process died or was killed (called in the main process)."""
        shutil.rmtree(self._workspace(run_id, number), ignore_errors=True)
        run = self.store.get(run_id)
        if run.status != RunStatus.PROCESSING or run.attempt != number:
            return "stale"
        attempt = next(a for a in run.attempts if a.number == number)
        action = self.registry.get(run.action_id)
        info = error_info(error, Redactor(()))
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
