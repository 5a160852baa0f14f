"""The Celery task: a thin shell over `Executor`, plus the request hooks for killed attempts."""

from __future__ import annotations

import logging
from typing import Any

from billiard.einfo import ExceptionWithTraceback  # type: ignore[attr-defined]
from billiard.exceptions import WorkerLostError as CeleryWorkerLostError
from celery import Celery, Task
from celery.worker.request import Request

from actionpool.actions.action import DEFAULT_QUEUE
from actionpool.actions.errors import ActionTimeoutError, WorkerLostError
from actionpool.worker.broker.app import TASK_NAME
from actionpool.worker.execution.executor import Executor
from actionpool.worker.telemetry import spans

log = logging.getLogger(__name__)


class RunAttemptRequest(Request):
    """Runs in the worker's main process: records attempts whose child process was lost.

    A loss may be reported twice (a timeout, then the dead child): settling is fenced by the
    attempt, so the second report changes nothing.
    """

    executor: Executor

    def on_timeout(self, soft: bool, timeout: float) -> None:
        super().on_timeout(soft, timeout)
        if not soft:
            error = ActionTimeoutError(f"attempt passed its hard time limit of {timeout:g} s")
            self._settle_lost(error)

    def on_failure(
        self, exc_info: Any, send_failed_event: bool = True, return_ok: bool = False
    ) -> None:
        super().on_failure(exc_info, send_failed_event=send_failed_event, return_ok=return_ok)
        exc = exc_info.exception
        if isinstance(exc, ExceptionWithTraceback):
            exc = exc.exc
        if isinstance(exc, (CeleryWorkerLostError, SystemExit, KeyboardInterrupt)):
            self._settle_lost(WorkerLostError(f"the process running the attempt died: {exc}"))

    def _settle_lost(self, error: BaseException) -> None:
        run_id, number = self.args
        try:
            outcome = self.executor.settle_lost(run_id, int(number), error)
            log.warning("run %s attempt %s lost (%s): %s", run_id, number, error, outcome)
        except Exception:
            log.exception("could not record lost attempt %s of run %s", number, run_id)


def register_run_task(app: Celery, executor: Executor) -> Task[Any, Any]:
    """Register `actionpool.run_attempt` on the app, bound to this executor."""
    request_class = type("BoundRunAttemptRequest", (RunAttemptRequest,), {"executor": executor})

    @app.task(
        name=TASK_NAME,
        Request=request_class,
        acks_late=True,
        reject_on_worker_lost=True,
        shared=False,  # bound to this app's executor, never to another app's
        bind=True,
    )
    def run_attempt(task: Task[Any, Any], run_id: str, attempt: int) -> str:
        request = task.request
        queue = (request.delivery_info or {}).get("routing_key") or DEFAULT_QUEUE
        parent = spans.context_from_request(request)
        with spans.message_span("process", queue, str(request.id), attempt, parent):
            return executor.run_attempt(run_id, attempt, queue)

    return run_attempt
