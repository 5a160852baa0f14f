"""What an action sees while it runs: `ActionContext`."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol, TypeVar

T = TypeVar("T")


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
    removed after it; `secrets` never appear in the run resource; `cancelled` is set when the
    run is cancelled and the action should stop.
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
        stored = self.checkpoints.load(key)
        if stored is None:
            stored = json.dumps(fn())
            self.checkpoints.save(key, stored)
        value: T = json.loads(stored)  # every attempt sees the same (JSON) value
        return value

    def sleep(self, seconds: float) -> bool:
        """Wait up to `seconds`; True if the run was cancelled meanwhile."""
        return self.cancelled.wait(seconds)
