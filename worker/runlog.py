"""The logger an action writes to: each line becomes a `log` event of its run, and a line of
the process log under `actionpool.run` (secrets masked in both)."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from actions.redaction import Redactor
from worker.logs import mask_record
from worker.store import RunStore

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
    """Appends every record to the run's event stream."""

    def __init__(self, store: RunStore, run_id: str) -> None:
        super().__init__(level=logging.DEBUG)
        self.store = store
        self.run_id = run_id

    def emit(self, record: logging.LogRecord) -> None:
        body = {"message": record.getMessage(), "level": record.levelname.lower()}
        try:
            self.store.append_event(self.run_id, "log", body)
        except RedisError as exc:  # a lost log line must not fail the action
            log.warning("run %s: log line not recorded: %s", self.run_id, exc)


def run_logger(store: RunStore, run_id: str, redactor: Redactor) -> logging.Logger:
    """A logger private to one run (not kept in logging's global registry), whose lines also
    reach the process log through `actionpool.run`."""
    logger = logging.Logger(f"{PROCESS_LOGGER}.{run_id}", level=logging.INFO)
    logger.addFilter(RedactFilter(redactor))
    logger.addHandler(RunEventHandler(store, run_id))
    logger.parent = logging.getLogger(PROCESS_LOGGER)
    return logger
