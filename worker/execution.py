"""`Executor`: runs one attempt of a run and records how it ended.

The Celery task and its request hooks are thin shells over `run_attempt` and `settle_lost`.
"""

from __future__ import annotations

import json
import logging
import random
import shutil
from pathlib import Path
from typing import Any

from actions.action import Action
from actions.context import ActionContext, BackstageContext
from actions.errors import ActionPoolError, ActionTimeoutError, UnknownActionError
from actions.registry import Registry
from worker.dispatch import Dispatcher
from worker.policy import decide_retry
from worker.records import Attempt, ErrorInfo, Run, RunStatus, iso, now
from worker.redaction import Redactor
from worker.runlog import run_logger
from worker.store import RunStore, Settlement

log = logging.getLogger(__name__)


class RunCheckpoints:
    """The `CheckpointStore` of one run, in Redis."""

    def __init__(self, store: RunStore, run_id: str) -> None:
        self.store = store
        self.run_id = run_id

    def load(self, key: str) -> str | None:
        return self.store.load_checkpoint(self.run_id, key)

    def save(self, key: str, value_json: str) -> None:
        self.store.save_checkpoint(self.run_id, key, value_json)


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
        timeout_errors: tuple[type[BaseException], ...] = (),
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
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
        if claim.run is None:
            log.info("run %s attempt %d not started: %s", run_id, number, claim.outcome)
            return claim.outcome
        run = claim.run
        try:
            action = self.registry.get(run.action_id)
        except UnknownActionError as exc:  # not installed here: fail clearly, never hang
            return self._fail_unrunnable(run, attempt, exc)
        redactor = Redactor(claim.secrets.values())
        try:
            output = self._invoke(run, action, attempt, claim.secrets, redactor)
        except self.timeout_errors:
            error: BaseException = ActionTimeoutError(
                f"attempt {number} passed its soft time limit"
            )
        except Exception as exc:
            error = exc
        else:
            self._complete(run, attempt, output)
            return RunStatus.COMPLETED
        return self._settle_failure(run, action, attempt, error_info(error, redactor), error)

    def _fail_unrunnable(self, run: Run, attempt: Attempt, error: ActionPoolError) -> str:
        info = error_info(error, Redactor(()))
        ended = attempt.model_copy(
            update={"finished_at": now(), "status": RunStatus.FAILED, "error": info}
        )
        self._fail(run, ended, info, f"{run.action_id} is not installed on {self.worker_name}")
        return RunStatus.FAILED

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
    ) -> dict[str, Any]:
        workspace = self._workspace(run.id, attempt.number)
        context = run.context
        ctx = ActionContext(
            run_id=run.id,
            attempt=attempt.number,
            logger=run_logger(self.store, run.id, redactor),
            workspace_dir=workspace,
            checkpoints=RunCheckpoints(self.store, run.id),
            secrets=secrets,
            backstage=BackstageContext(
                template_ref=context.template_ref,
                owner=context.owner,
                task_id=context.task_id,
                step_id=context.step_id,
                user_ref=context.user_ref,
            ),
            dry_run=run.dry_run,
        )
        try:
            return action.invoke(run.input, ctx)
        finally:
            if workspace.exists():  # created only if the action used it
                shutil.rmtree(workspace, ignore_errors=True)

    def _workspace(self, run_id: str, number: int) -> Path:
        return self.workspace_root / f"{run_id}.{number}"

    def _complete(self, run: Run, attempt: Attempt, output: dict[str, Any]) -> None:
        finished = now()
        settlement = Settlement(
            status=RunStatus.COMPLETED,
            attempt=attempt.model_copy(
                update={"finished_at": finished, "status": RunStatus.COMPLETED}
            ),
            fields={"output": json.dumps(output), "finishedAt": iso(finished)},
            event_type="completion",
            event_body={
                "message": "Run completed with status: completed",
                "status": RunStatus.COMPLETED,
                "output": output,
            },
        )
        if not self.store.settle(run.id, settlement):
            log.warning("run %s attempt %d no longer held; output dropped", run.id, attempt.number)

    def _settle_failure(
        self,
        run: Run,
        action: Action[Any, Any],
        attempt: Attempt,
        info: ErrorInfo,
        error: BaseException,
    ) -> str:
        decision = decide_retry(
            error,
            attempt=attempt.number,
            max_attempts=run.max_attempts,
            policy=action.retry,
            rng=self.rng,
        )
        ended = attempt.model_copy(
            update={"finished_at": now(), "status": RunStatus.FAILED, "error": info}
        )
        if decision.retry:
            self._retry(run, action, ended, info, decision.delay_s)
            return "retrying"
        self._fail(run, ended, info, decision.reason)
        return RunStatus.FAILED

    def _retry(
        self, run: Run, action: Action[Any, Any], ended: Attempt, info: ErrorInfo, delay_s: float
    ) -> None:
        """Back to `open`, then the next attempt on the queue after the backoff."""
        message = (
            f"Attempt {ended.number} failed with {info.name}: {info.message}; "
            f"retrying in {delay_s:.1f} s"
        )
        retry = Settlement(
            status=RunStatus.OPEN,
            attempt=ended,
            event_type="log",
            event_body={"message": message, "level": "warning"},
        )
        if self.store.settle(run.id, retry):
            self.dispatcher.dispatch(run.id, action, ended.number + 1, delay_s)

    def _fail(self, run: Run, ended: Attempt, info: ErrorInfo, reason: str) -> None:
        finished = ended.finished_at or now()
        failed = Settlement(
            status=RunStatus.FAILED,
            attempt=ended,
            fields={"error": info.model_dump_json(), "finishedAt": iso(finished)},
            event_type="completion",
            event_body={
                "message": f"Run completed with status: failed ({reason})",
                "status": RunStatus.FAILED,
                "error": info.model_dump(),
            },
        )
        self.store.settle(run.id, failed)
