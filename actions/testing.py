"""Test an action without Celery or Redis: `ActionHarness` gives it what the pool gives it.

    from actionpool.actions.testing import ActionHarness

    def test_greets(tmp_path):
        harness = ActionHarness(greet, workspace_root=tmp_path, secrets={"token": "s3cr3t"})
        output = harness.run({"name": "Ada"})
        assert output == {"greeting": "Hello, Ada"}
        assert harness.messages() == ["greeting Ada"]

Like the pool, each attempt gets a fresh workspace (removed afterwards), checkpoints outlive
attempts (so a second `run` is a retry that resumes from them), secrets are masked in log
lines and output, and input is validated against the action's model with its validation
context. `crash_after="key"` ends an attempt right after that checkpoint is stored, the way a
worker killed there would, so a test can prove the next attempt does not repeat the work.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from actionpool.actions.action import Action
from actionpool.actions.context import ActionContext, BackstageContext, MemoryCheckpoints
from actionpool.actions.errors import (
    ActionCancelledError,
    DryRunNotSupportedError,
    NonRetryableActionError,
)
from actionpool.actions.redaction import Redactor


class SimulatedCrash(BaseException):
    """Ends an attempt where `crash_after` said, as a SIGKILL would: a BaseException, so an
    action's `except Exception` does not catch it."""


@dataclasses.dataclass(frozen=True)
class LogLine:
    """One line the action logged, secrets masked."""

    attempt: int
    level: str
    message: str


class _Checkpoints(MemoryCheckpoints):
    """In-memory checkpoints that can crash the attempt right after one is stored."""

    crash_after: str | None = None

    def save(self, key: str, value_json: str) -> None:
        super().save(key, value_json)
        if key == self.crash_after:
            raise SimulatedCrash(f"crashed after checkpoint {key!r}")


class _Capture(logging.Handler):
    def __init__(self, lines: list[LogLine], attempt: int, redactor: Redactor) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines, self.attempt, self.redactor = lines, attempt, redactor

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(
            LogLine(self.attempt, record.levelname.lower(), self.redactor.redact(message))
        )


class ActionHarness:
    """Runs one action's attempts in this process, keeping what the pool would keep."""

    def __init__(
        self,
        action: Action[Any, Any],
        *,
        workspace_root: Path | None = None,
        secrets: Mapping[str, str] | None = None,
        backstage: BackstageContext | None = None,
        run_id: str | None = None,
        soft_limit_s: float | None = None,
        keep_workspaces: bool = False,
    ) -> None:
        self.action = action
        self.run_id = run_id or str(uuid.uuid4())
        self.secrets = dict(secrets or {})
        self.backstage = backstage or BackstageContext()
        self.soft_limit_s = soft_limit_s
        self.keep_workspaces = keep_workspaces
        self.workspace_root = workspace_root or Path(tempfile.mkdtemp(prefix="actionpool-test-"))
        self.checkpoints = _Checkpoints()
        self.logs: list[LogLine] = []
        self.attempts = 0
        self.cancelled = threading.Event()
        self.redactor = Redactor(self.secrets.values())

    def validate(self, input: Mapping[str, Any]) -> BaseModel:
        """The input as the action's model reads it; raises pydantic's ValidationError for
        input the pool would refuse with a 422 before anything runs."""
        parsed: BaseModel = self.action.parse_input(dict(input))
        return parsed

    def context(self, *, dry_run: bool = False) -> ActionContext:
        """The context of the next attempt (`run` makes one for you)."""
        self.attempts += 1
        logger = logging.Logger(f"actionpool.test.{self.run_id}", level=logging.DEBUG)
        logger.addHandler(_Capture(self.logs, self.attempts, self.redactor))
        limit_s = self.soft_limit_s
        return ActionContext(
            run_id=self.run_id,
            attempt=self.attempts,
            logger=logger,
            workspace_dir=self.workspace_root / self.run_id / f"attempt-{self.attempts}",
            checkpoints=self.checkpoints,
            secrets=self.secrets,
            backstage=self.backstage,
            dry_run=dry_run,
            cancelled=self.cancelled,
            soft_deadline=None if limit_s is None else time.monotonic() + limit_s,
        )

    def run(
        self, input: Mapping[str, Any], *, dry_run: bool = False, crash_after: str | None = None
    ) -> dict[str, Any]:
        """One attempt: the action's output as JSON, secrets masked; its error raised as is.
        With `crash_after`, `SimulatedCrash` ends the attempt after that checkpoint. A dry run
        of an action that does not support one is refused, as the API refuses it."""
        if dry_run and not self.action.supports_dry_run:
            raise DryRunNotSupportedError(f"{self.action.id} does not support dry runs")
        self.checkpoints.crash_after = crash_after
        ctx = self.context(dry_run=dry_run)
        try:
            output = self.action.invoke(dict(input), ctx)
        finally:
            self.checkpoints.crash_after = None
            if not self.keep_workspaces:
                shutil.rmtree(ctx.workspace_dir, ignore_errors=True)
        masked: dict[str, Any] = self.redactor.redact_json(output)
        return masked

    def run_to_end(self, input: Mapping[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        """Attempts until one succeeds, as the pool's retry policy allows (without its
        waits): any error but a non-retryable one (`NonRetryableActionError`, a cancellation,
        the policy's `non_retryable` types) is tried again, up to `max_attempts`."""
        final: tuple[type[BaseException], ...] = (
            NonRetryableActionError,
            ActionCancelledError,
            *self.action.retry.non_retryable,
        )
        while True:
            try:
                return self.run(input, dry_run=dry_run)
            except final:
                raise
            except Exception:
                if self.attempts >= self.action.retry.max_attempts:
                    raise

    def cancel(self) -> None:
        """Cancel the run: `ctx.cancelled` is set for the running and every later attempt."""
        self.cancelled.set()

    def messages(self, level: str | None = None) -> list[str]:
        """The logged messages (of one level, if given), in order."""
        return [line.message for line in self.logs if level is None or line.level == level]
