"""What an action sees while it runs: `ActionContext`."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Protocol, TypeVar

import tenacity
from opentelemetry import trace
from opentelemetry.util.types import AttributeValue

from actionpool.actions.errors import ActionCancelledError
from actionpool.actions.redaction import Redactor
from actionpool.actions.tracing import TRACER_NAME, child_span

T = TypeVar("T")

SOFT_LIMIT_MARGIN_S = 1.0
"""`ctx.retrying` starts no retry later than this before the soft time limit."""


class CheckpointStore(Protocol):
    """Where checkpoint values of one run are kept (Redis in the worker, a dict in tests)."""

    def load(self, key: str) -> str | None:
        """The stored JSON for a key, or None if its function has not succeeded yet."""

    def save(self, key: str, value_json: str) -> None:
        """Store the JSON value of a key whose function succeeded."""


class MemoryCheckpoints:
    """A `CheckpointStore` in memory, for running an action outside the pool."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def load(self, key: str) -> str | None:
        return self.values.get(key)

    def save(self, key: str, value_json: str) -> None:
        self.values[key] = value_json


@dataclasses.dataclass(frozen=True)
class BackstageContext:
    """Where a run came from in Backstage (all optional: a caller may send none)."""

    template_ref: str | None = None
    owner: str | None = None
    task_id: str | None = None
    step_id: str | None = None
    user_ref: str | None = None


@dataclasses.dataclass(frozen=True)
class ActionContext:
    """Everything an action may use besides its input.

    `logger` lines become the run's `log` events; `workspace` is private to this attempt and
    removed after it; `secrets` are masked (`***`) in whatever the run shows, its log lines,
    output and error included (never checkpoint them: checkpoints are kept as they are);
    `cancelled` is set when the run is cancelled and the action should stop.
    """

    run_id: str
    attempt: int
    logger: logging.Logger
    workspace_dir: Path
    checkpoints: CheckpointStore
    secrets: Mapping[str, str] = dataclasses.field(default_factory=dict)
    backstage: BackstageContext = dataclasses.field(default_factory=BackstageContext)
    dry_run: bool = False
    cancelled: threading.Event = dataclasses.field(default_factory=threading.Event)
    soft_deadline: float | None = None
    """`time.monotonic()` value at which the attempt's soft time limit fires (None: no limit)."""
    tracer: trace.Tracer = dataclasses.field(default_factory=lambda: trace.get_tracer(TRACER_NAME))

    @functools.cached_property
    def redactor(self) -> Redactor:
        """Masks this run's secret values in text."""
        return Redactor(self.secrets.values())

    def redact(self, text: str) -> str:
        """`text` with this run's secret values masked."""
        return self.redactor.redact(text)

    @contextlib.contextmanager
    def span(self, name: str, **attributes: AttributeValue) -> Iterator[trace.Span]:
        """A child span of the attempt around a sub-operation (a git push, an API call):

            with ctx.span("git push", **{"vcs.repository.url.full": url}):
                push()

        It carries the run's attributes; an exception leaving it is recorded, secrets masked.
        """
        with child_span(self.tracer, name, dict(attributes), self.redact) as span:
            yield span

    def annotate(self, **attributes: AttributeValue) -> None:
        """Set attributes on the span now current (the attempt's own span, called outside
        any `ctx.span`), secrets masked: what an operator searches traces by, such as the
        versions of the snippets a repository was built from."""
        span = trace.get_current_span()
        span.set_attributes(
            {k: self.redact(v) if isinstance(v, str) else v for k, v in attributes.items()}
        )

    @property
    def workspace(self) -> Path:
        """This attempt's private directory: created on first use, removed after the attempt."""
        self.workspace_dir.mkdir(parents=True, exist_ok=True)
        return self.workspace_dir

    def checkpoint(self, key: str, fn: Callable[[], T]) -> T:
        """Run `fn` once per run and key: a later attempt gets the stored value instead.

        The value must be JSON-serialisable. Version keys (`create-repo.v2`) when the shape of
        the value changes, as Backstage advises for its own checkpoints.
        """
        with self.span(f"checkpoint {key}", **{"actionpool.checkpoint.key": key}) as span:
            stored = self.checkpoints.load(key)
            span.set_attribute("actionpool.checkpoint.replayed", stored is not None)
            if stored is None:
                stored = json.dumps(fn())
                self.checkpoints.save(key, stored)
        value: T = json.loads(stored)  # every attempt sees the same (JSON) value
        return value

    def retrying(
        self,
        *,
        max_attempts: int = 5,
        initial_delay_s: float = 0.5,
        max_delay_s: float = 10.0,
        retry_on: tuple[type[BaseException], ...] = (Exception,),
    ) -> tenacity.Retrying:
        """Tenacity retries for an idempotent sub-operation (an HTTP call, a git push):

            for attempt in ctx.retrying(retry_on=(ConnectionError,)):
                with attempt:
                    push()

        Bounded so the retries end inside this attempt's soft time limit (no retry starts
        later than `SOFT_LIMIT_MARGIN_S` before it), and stopped when the run is cancelled.
        """
        stop: tenacity.stop.stop_base = tenacity.stop_after_attempt(max_attempts)
        if self.soft_deadline is not None:
            budget_s = self.soft_deadline - time.monotonic() - SOFT_LIMIT_MARGIN_S
            stop = stop | tenacity.stop_before_delay(max(0.0, budget_s))
        return tenacity.Retrying(
            stop=stop,
            wait=tenacity.wait_random_exponential(multiplier=initial_delay_s, max=max_delay_s),
            retry=tenacity.retry_if_exception_type(retry_on),
            sleep=self._pause,
            reraise=True,
        )

    def _pause(self, seconds: float) -> None:
        if self.cancelled.wait(seconds):
            raise ActionCancelledError("the run was cancelled while waiting to retry")

    def idempotency_key(self, purpose: str = "") -> str:
        """A key that is the same on every attempt of this run, and differs between runs and
        purposes: what an action sends as `Idempotency-Key` so that a call repeated by a
        retry is done once by the service it calls."""
        if not purpose:
            return self.run_id
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"actionpool:{self.run_id}:{purpose}"))

    def sleep(self, seconds: float) -> bool:
        """Wait up to `seconds`; True if the run was cancelled meanwhile."""
        return self.cancelled.wait(seconds)
