"""The records the pool keeps in Redis (runs, attempts, events) and their encoding as hash
fields and stream entries.

Every time a record shows is ISO 8601 in UTC with milliseconds (`Timestamp`).
"""

from __future__ import annotations

import enum
import json
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel

from actionpool.worker.clock import iso


class RunStatus(enum.StrEnum):
    """Backstage's task status vocabulary."""

    OPEN = "open"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in (RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED)


TERMINAL_EVENT_TYPES = frozenset({"completion", "cancelled"})
"""Event types that end a run's stream."""

Timestamp = Annotated[datetime, PlainSerializer(iso, return_type=str, when_used="json")]
"""A moment, shown as `2026-11-26T09:45:21.635Z`."""


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ErrorInfo(CamelModel):
    """An error as Backstage shows it: `{name, message}`."""

    name: str
    message: str


class RunContext(CamelModel):
    """Where a run came from in Backstage; every field optional."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    template_ref: str | None = Field(default=None, max_length=512)
    owner: str | None = Field(default=None, max_length=512)
    task_id: str | None = Field(default=None, max_length=256)
    step_id: str | None = Field(default=None, max_length=256)
    user_ref: str | None = Field(default=None, max_length=512)
    traceparent: str | None = Field(
        default=None,
        max_length=256,
        description="W3C traceparent to continue (the Backstage proxy drops custom headers)",
    )


class Attempt(CamelModel):
    """One attempt of a run: when it ran, where, and how it ended."""

    number: int
    worker: str
    started_at: Timestamp
    finished_at: Timestamp | None = None
    status: RunStatus = RunStatus.PROCESSING
    error: ErrorInfo | None = None


class Run(CamelModel):
    """A run of an action: the record the store keeps and the API shows (secrets never)."""

    id: str
    action_id: str
    status: RunStatus
    input: dict[str, Any]
    output: dict[str, Any] | None = None
    error: ErrorInfo | None = None
    attempt: int = 0
    max_attempts: int
    context: RunContext = Field(default_factory=RunContext)
    dry_run: bool = False
    queue: str
    created_at: Timestamp
    started_at: Timestamp | None = None
    finished_at: Timestamp | None = None
    last_heartbeat_at: Timestamp | None = None
    cancel_requested_at: Timestamp | None = None
    queue_deadline_at: Timestamp | None = None
    deadline_at: Timestamp | None = None
    traceparent: str | None = Field(
        default=None, description="W3C traceparent of the request that created the run"
    )
    attempts: list[Attempt] = Field(default_factory=list)


class RunEvent(CamelModel):
    """A run event in Backstage's task event shape."""

    id: int
    run_id: str
    type: str
    body: dict[str, Any]
    created_at: Timestamp


_JSON_FIELDS = frozenset({"input", "output", "error", "context"})


def encode_run(run: Run) -> dict[str, str]:
    """The run as Redis hash fields (camelCase names, JSON for structured values)."""
    data = run.model_dump(mode="json", by_alias=True, exclude={"attempts"})
    return {
        name: json.dumps(value) if name in _JSON_FIELDS else _scalar(value)
        for name, value in data.items()
        if value is not None
    }


def decode_run(fields: dict[str, str], attempts: dict[str, str] | None = None) -> Run:
    """A run from its hash fields (the store's own fields, such as its lease, are left out)."""
    data: dict[str, Any] = {
        name: json.loads(value) if name in _JSON_FIELDS else value
        for name, value in fields.items()
        if value != ""
    }
    data["dryRun"] = data.get("dryRun") == "true"
    ordered = sorted((attempts or {}).items(), key=lambda item: int(item[0]))
    data["attempts"] = [json.loads(record) for _, record in ordered]
    return Run.model_validate(data)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def decode_event(run_id: str, entry_id: str, fields: dict[str, str]) -> RunEvent:
    """An event from a stream entry (id `0-<event id>`; fields type, body, createdAt)."""
    return RunEvent(
        id=int(entry_id.split("-", 1)[1]),
        run_id=run_id,
        type=fields["type"],
        body=json.loads(fields["body"]),
        created_at=datetime.fromisoformat(fields["createdAt"]),
    )


CANCELLED_BEFORE_START = {"message": "Run cancelled before it started", "status": "cancelled"}
