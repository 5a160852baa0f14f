"""The logger an action writes to: each line becomes a `log` event of its run."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from worker.redaction import Redactor
from worker.store import RunStore

log = logging.getLogger(__name__)


class RunEventHandler(logging.Handler):
    """Appends every record to the run's event stream, secrets masked."""

    def __init__(self, store: RunStore, run_id: str, redactor: Redactor) -> None:
        super().__init__(level=logging.DEBUG)
        self.store = store
        self.run_id = run_id
        self.redactor = redactor

    def emit(self, record: logging.LogRecord) -> None:
        message = self.redactor.redact(record.getMessage())
        body = {"message": message, "level": record.levelname.lower()}
        try:
            self.store.append_event(self.run_id, "log", body)
        except RedisError as exc:  # a lost log line must not fail the action
            log.warning("run %s: log line not recorded: %s", self.run_id, exc)


def run_logger(store: RunStore, run_id: str, redactor: Redactor) -> logging.Logger:
    """A logger private to one run (not kept in logging's global registry)."""
    logger = logging.Logger(f"actionpool.run.{run_id}", level=logging.INFO)
    logger.addHandler(RunEventHandler(store, run_id, redactor))
    logger.propagate = False
    return logger
