"""The records the pool keeps in Redis: runs, attempts and events, and their encoding."""

from __future__ import annotations

import dataclasses
import enum
import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


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
    started_at: datetime
    finished_at: datetime | None = None
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
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    last_heartbeat_at: datetime | None = None
    cancel_requested_at: datetime | None = None
    queue_deadline_at: datetime | None = None
    deadline_at: datetime | None = None
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
    created_at: datetime


_JSON_FIELDS = frozenset({"input", "output", "error", "context"})


def now() -> datetime:
    return datetime.now(UTC)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def encode_run(run: Run) -> dict[str, str]:
    """The run as Redis hash fields (camelCase names, JSON for structured values)."""
    data = run.model_dump(mode="json", by_alias=True, exclude={"attempts"})
    return {
        name: json.dumps(value) if name in _JSON_FIELDS else _scalar(value)
        for name, value in data.items()
        if value is not None
    }


def decode_run(fields: dict[str, str], attempts: dict[str, str] | None = None) -> Run:
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


def decode_event(run_id: str, entry_id: Any, fields: Any) -> RunEvent:
    """An event from a stream entry (id `0-<event id>`; fields type, body, createdAt)."""
    return RunEvent(
        id=int(entry_id.split("-", 1)[1]),
        run_id=run_id,
        type=fields["type"],
        body=json.loads(fields["body"]),
        created_at=datetime.fromisoformat(fields["createdAt"]),
    )


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


CANCELLED_BEFORE_START = {"message": "Run cancelled before it started", "status": "cancelled"}


def deadline_fields(run: Run) -> dict[str, str]:
    """When the run was created and its first attempt is due, and its deadlines, in epoch ms
    (the form the Lua scripts and the sweep compare against). `dueMs` is when the sweep next
    looks at an open run (it moves when a message is published again); `queuedMs` is when the
    waiting attempt became due (queue wait and oldest age are measured from it)."""
    created_ms = str(ms(run.created_at))
    fields = {"dueMs": created_ms, "queuedMs": created_ms, "createdMs": created_ms}
    if run.deadline_at:
        fields["deadlineMs"] = str(ms(run.deadline_at))
    if run.queue_deadline_at:
        fields["queueDeadlineMs"] = str(ms(run.queue_deadline_at))
    return fields


@dataclasses.dataclass(frozen=True)
class Claim:
    """What `RunStore.claim` did: `run` is set when this attempt now holds the run."""

    outcome: str
    run: Run | None = None
    secrets: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Settlement:
    """How an attempt ends: the run's next status, the fields to set, the event to append."""

    status: RunStatus
    attempt: Attempt
    fields: dict[str, str] = dataclasses.field(default_factory=dict)
    event_type: str = ""
    event_body: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Created:
    """What `RunStore.create` did: recorded the run, or found the run holding the key."""

    created: bool
    run_id: str
    fingerprint: str

    @classmethod
    def of(cls, reply: list[Any]) -> Created:
        """From the `create` script's reply `[1 if created, run id, fingerprint]`."""
        return cls(created=reply[0] == 1, run_id=reply[1], fingerprint=reply[2])
