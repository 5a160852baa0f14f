"""The logger an action writes to: each line becomes a `log` event of its run, and a line of
the process log under `actionpool.run` (secrets masked in both).

Event appends are fenced by the attempt: once another attempt holds the run (this one is a
zombie, resumed after its lease passed on), its lines are refused and it is told to stop."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from redis.exceptions import RedisError

from actionpool.actions.redaction import Redactor
from actionpool.worker.execution.checkpoints import once
from actionpool.worker.store.store import RunStore
from actionpool.worker.telemetry.logs import mask_record

log = logging.getLogger(__name__)

PROCESS_LOGGER = "actionpool.run"


class RedactFilter(logging.Filter):
    """Masks the run's secrets in a record (message and exception text) before any handler
    or parent logger sees it."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record, self.redactor.redact)
        return True


class RunEventHandler(logging.Handler):
    """Appends every record to the run's event stream, as attempt `attempt`."""

    def __init__(
        self,
        store: RunStore,
        run_id: str,
        attempt: int,
        on_fenced: Callable[[], None],
        durably: Callable[[Callable[[], Any]], Any],
    ) -> None:
        super().__init__(level=logging.DEBUG)
        self.store = store
        self.run_id = run_id
        self.attempt = attempt
        self.on_fenced = on_fenced
        self.durably = durably

    def emit(self, record: logging.LogRecord) -> None:
        body = {"message": record.getMessage(), "level": record.levelname.lower()}
        append = lambda: self.store.append_event(self.run_id, self.attempt, "log", body)  # noqa: E731
        try:
            appended = self.durably(append)  # through a Redis blip; dropped after a lease TTL
        except RedisError as exc:  # a lost log line must not fail the action
            log.warning("run %s: log line not recorded: %s", self.run_id, exc)
            return
        if not appended:
            self.on_fenced()


def run_logger(
    store: RunStore,
    run_id: str,
    attempt: int,
    redactor: Redactor,
    on_fenced: Callable[[], None] = lambda: None,
    durably: Callable[[Callable[[], Any]], Any] = once,
) -> logging.Logger:
    """A logger private to one attempt of a run (not kept in logging's global registry),
    whose lines also reach the process log through `actionpool.run`."""
    logger = logging.Logger(f"{PROCESS_LOGGER}.{run_id}", level=logging.INFO)
    logger.addFilter(RedactFilter(redactor))
    logger.addHandler(RunEventHandler(store, run_id, attempt, on_fenced, durably))
    logger.parent = logging.getLogger(PROCESS_LOGGER)
    return logger
