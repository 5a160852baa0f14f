"""Listing runs (`GET /v1/runs`): a filter becomes clauses of indexes (`worker.store.indexes`)
and one read-only script call (`list_runs.lua`), never a scan of keys.

Every equality filter is one index (the run's action, owner, template, task, user); several
statuses, or the owners and user a caller may see, are a clause of several indexes, any of
which a run must be in. The script walks the clause with the fewest runs in the time range
and checks the others per run, so the cost follows the most selective filter. It looks at no
more than `budget` index entries per call: a page can hold fewer runs than asked for and
still name a next cursor (keep going until `next_cursor` is None).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from actionpool.actions.errors import InvalidCursorError
from actionpool.worker.clock import ms
from actionpool.worker.store.keys import Keys
from actionpool.worker.store.ops import ScriptCall
from actionpool.worker.store.records import CamelModel, ErrorInfo, RunContext, RunStatus, Timestamp

MAX_LIMIT = 500
DEFAULT_BUDGET = 20_000
"""Most index entries one listing call looks at (a Lua script holds Redis while it runs)."""

SUMMARY_FIELDS = (
    "id",
    "actionId",
    "status",
    "attempt",
    "maxAttempts",
    "queue",
    "context",
    "createdAt",
    "startedAt",
    "finishedAt",
    "error",
    "traceparent",
)
_JSON_FIELDS = frozenset({"context", "error"})


class RunSummary(CamelModel):
    """A run as a listing shows it: no input, output or attempts (`GET /v1/runs/{id}`)."""

    id: str
    action_id: str
    status: RunStatus
    attempt: int = 0
    max_attempts: int
    queue: str
    context: RunContext = Field(default_factory=RunContext)
    created_at: Timestamp
    started_at: Timestamp | None = None
    finished_at: Timestamp | None = None
    error: ErrorInfo | None = None
    traceparent: str | None = None

    @classmethod
    def of_row(cls, row: list[str | None]) -> RunSummary:
        data: dict[str, Any] = {
            name: json.loads(value) if name in _JSON_FIELDS else value
            for name, value in zip(SUMMARY_FIELDS, row, strict=True)
            if value not in (None, "")
        }
        return cls.model_validate(data)


@dataclasses.dataclass(frozen=True)
class RunFilter:
    """What a listing keeps. `visible_owners` None: every owner's runs (else only those
    owners' runs, and `visible_user`'s own)."""

    statuses: tuple[RunStatus, ...] = ()
    action_id: str | None = None
    owner: str | None = None
    template_ref: str | None = None
    task_id: str | None = None
    user_ref: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    visible_owners: frozenset[str] | None = None
    visible_user: str | None = None


def clauses(run_filter: RunFilter, keys: Keys) -> list[list[str]]:
    """The filter as clauses of indexes: a run is listed when it is in at least one index of
    every clause. No filter at all: the index of every run."""
    f = run_filter
    found: list[list[str]] = []
    if f.statuses:
        found.append([keys.index("status", status) for status in dict.fromkeys(f.statuses)])
    for dimension, value in (
        ("action", f.action_id),
        ("owner", f.owner.lower() if f.owner else None),  # owners are kept in lower case
        ("template", f.template_ref),
        ("task", f.task_id),
        ("user", f.user_ref),
    ):
        if value is not None:
            found.append([keys.index(dimension, value)])
    if f.visible_owners is not None:
        visible = [keys.index("owner", owner) for owner in sorted(f.visible_owners)]
        found.append(visible + ([keys.index("user", f.visible_user)] if f.visible_user else []))
    return found or [[keys.index("all")]]


@dataclasses.dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after run `run_id`, created at `created_ms`."""

    created_ms: int
    run_id: str

    def encode(self) -> str:
        text = f"{self.created_ms}:{self.run_id}".encode()
        return base64.urlsafe_b64encode(text).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            created, run_id = raw.split(":", 1)
            uuid.UUID(run_id)
            return cls(int(created), run_id)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise InvalidCursorError(
                f"cursor {text[:64]!r} is not one a listing answered with"
            ) from None


@dataclasses.dataclass(frozen=True)
class RunPage:
    items: list[RunSummary]
    next_cursor: Cursor | None
    looked_at: int

    @classmethod
    def of_reply(cls, reply: list[Any]) -> RunPage:
        next_ms, next_id, looked_at, *rows = reply
        cursor = Cursor(int(next_ms), str(next_id)) if next_ms else None
        return cls([RunSummary.of_row(row) for row in rows], cursor, int(looked_at))


def list_runs(
    keys: Keys,
    run_filter: RunFilter,
    *,
    cursor: Cursor | None = None,
    limit: int = 50,
    budget: int = DEFAULT_BUDGET,
) -> ScriptCall[RunPage]:
    """The newest `limit` runs the filter keeps (after `cursor`), in one script call."""
    found = clauses(run_filter, keys)
    newest: int | str = "+inf"
    if run_filter.created_before is not None:
        newest = ms(run_filter.created_before) - 1  # createdBefore is exclusive
    if cursor is not None:
        newest = cursor.created_ms if newest == "+inf" else min(int(newest), cursor.created_ms)
    after = run_filter.created_after
    return ScriptCall(
        "list_runs",
        keys=[key for clause in found for key in clause],
        args=[
            json.dumps([len(clause) for clause in found]),
            newest,
            "-inf" if after is None else ms(after),
            cursor.run_id if cursor is not None and newest == cursor.created_ms else "",
            min(limit, MAX_LIMIT),
            budget,
            keys.run(""),
            *SUMMARY_FIELDS,
        ],
        decode=RunPage.of_reply,
    )
