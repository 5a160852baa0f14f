"""What the pool reads from Redis: each read built here once (commands, and the decoding of
their replies into records) for either face of the store."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from actionpool.worker.clock import ms
from actionpool.worker.store.indexes import INDEXED_FIELDS, IndexedRun
from actionpool.worker.store.keys import Keys
from actionpool.worker.store.ops import Commands, pairs
from actionpool.worker.store.records import (
    Run,
    RunEvent,
    RunStatus,
    decode_event,
    decode_run,
)

Entry = tuple[str, dict[str, str]]

DUE_FIELDS = ("status", "attempt", "leaseUntilMs", "deadlineMs", "queueDeadlineMs", "queue")
"""What the sweep reads of a run it found due."""


@dataclasses.dataclass(frozen=True)
class Events:
    """A run's events after an id, and whether the run exists."""

    exists: bool
    events: list[RunEvent]


@dataclasses.dataclass(frozen=True)
class StreamPosition:
    """Where a waiter starts: the run's status and the id of its last event."""

    status: RunStatus | None
    last_id: str


@dataclasses.dataclass(frozen=True)
class DueRun:
    """A run the sweep must look at, as it found it."""

    run_id: str
    fields: dict[str, str]


class Reads:
    """Reads of one pool's keys."""

    def __init__(self, keys: Keys) -> None:
        self.keys = keys

    def run(self, run_id: str) -> Commands[Run | None]:
        """The run with its attempts, or None."""

        def decode(replies: list[Any]) -> Run | None:
            fields, attempts = replies
            return decode_run(fields, attempts) if fields else None

        k = self.keys
        return Commands([("HGETALL", k.run(run_id)), ("HGETALL", k.attempts(run_id))], decode)

    def run_field(self, run_id: str, field: str) -> Commands[str | None]:
        return Commands([("HGET", self.keys.run(run_id), field)], lambda r: r[0])

    def events(self, run_id: str, *, after: int, limit: int) -> Commands[Events]:
        """The run's events with an id greater than `after`, oldest first."""

        def decode(replies: list[Any]) -> Events:
            exists, entries = replies
            events = [decode_event(run_id, entry_id, fields) for entry_id, fields in entries]
            return Events(bool(exists), events)

        k = self.keys
        return Commands(
            [
                ("EXISTS", k.run(run_id)),
                ("XRANGE", k.events(run_id), f"0-{after + 1}", "+", "COUNT", limit),
            ],
            decode,
        )

    def stream_position(self, run_id: str) -> Commands[StreamPosition]:
        def decode(replies: list[Any]) -> StreamPosition:
            status, last = replies
            return StreamPosition(
                RunStatus(status) if status else None, last[0][0] if last else "0-0"
            )

        k = self.keys
        return Commands(
            [
                ("HGET", k.run(run_id), "status"),
                ("XREVRANGE", k.events(run_id), "+", "-", "COUNT", 1),
            ],
            decode,
        )

    def new_entries(
        self, run_id: str, last_id: str, *, count: int, block_ms: int | None
    ) -> Commands[list[Entry]]:
        """Stream entries after `last_id`; with `block_ms`, waits that long for one."""
        block: tuple[str | int, ...] = () if block_ms is None else ("BLOCK", block_ms)
        command = ("XREAD", "COUNT", count, *block, "STREAMS", self.keys.events(run_id), last_id)

        def decode(replies: list[Any]) -> list[Entry]:
            return [entry for _stream, entries in replies[0] or [] for entry in entries]

        return Commands([command], decode, transaction=False)

    def has_ended(self, run_id: str) -> Commands[bool]:
        """True when the run is in a terminal status, or gone (expired after its retention)."""

        def decode(replies: list[Any]) -> bool:
            return replies[0] is None or RunStatus(replies[0]).is_terminal

        return Commands([("HGET", self.keys.run(run_id), "status")], decode)

    def checkpoint(self, run_id: str, checkpoint: str) -> Commands[str | None]:
        return Commands([("HGET", self.keys.checkpoints(run_id), checkpoint)], lambda r: r[0])

    def cancel_requested(self, run_id: str) -> Commands[bool]:
        return Commands(
            [("HEXISTS", self.keys.run(run_id), "cancelRequestedAt")], lambda r: bool(r[0])
        )

    def due(self, now: datetime, limit: int) -> Commands[list[str]]:
        """Up to `limit` runs whose due time has come, earliest first."""
        command = ("ZRANGEBYSCORE", self.keys.due, "-inf", ms(now), "LIMIT", 0, limit)
        return Commands([command], lambda r: [str(run_id) for run_id in r[0]], transaction=False)

    def due_runs(self, run_ids: Sequence[str]) -> Commands[list[DueRun]]:
        """What the sweep needs of each due run (runs gone meanwhile have no fields)."""

        def decode(replies: list[Any]) -> list[DueRun]:
            return [
                DueRun(run_id, {k: v for k, v in zip(DUE_FIELDS, row, strict=True) if v})
                for run_id, row in zip(run_ids, replies, strict=True)
            ]

        commands = [("HMGET", self.keys.run(run_id), *DUE_FIELDS) for run_id in run_ids]
        return Commands(commands, decode, transaction=False)  # type: ignore[arg-type]

    def forgettable(self, now: datetime, limit: int) -> Commands[list[str]]:
        """Up to `limit` finished runs whose retention has ended, earliest first."""
        command = ("ZRANGEBYSCORE", self.keys.forgettable, "-inf", ms(now), "LIMIT", 0, limit)
        return Commands([command], lambda r: [str(run_id) for run_id in r[0]], transaction=False)

    def indexed_runs(self, run_ids: Sequence[str]) -> Commands[list[IndexedRun]]:
        """Runs as their indexes know them (what `forget` needs to name each index)."""

        def decode(rows: list[Any]) -> list[IndexedRun]:
            return [IndexedRun.of(run_id, row) for run_id, row in zip(run_ids, rows, strict=True)]

        commands = [("HMGET", self.keys.run(run_id), *INDEXED_FIELDS) for run_id in run_ids]
        return Commands(commands, decode, transaction=False)  # type: ignore[arg-type]

    def queues(self) -> Commands[list[str]]:
        """Every queue a run was put on."""
        return Commands([("SMEMBERS", self.keys.queues)], lambda r: sorted(r[0]))

    def oldest_messages(self, queues: Sequence[str]) -> Commands[list[str | None]]:
        """The oldest message waiting on each queue (None for an empty queue)."""
        commands = [("LINDEX", self.keys.queue(queue), -1) for queue in queues]
        return Commands(commands, list, transaction=False)  # type: ignore[arg-type]

    def waiting_before(
        self, queue: str, before_ms: int, limit: int
    ) -> Commands[list[tuple[str, int]]]:
        """Open runs of `queue` whose message went out (or became ready) before `before_ms`:
        (run id, that time), earliest first."""
        command = (
            "ZRANGEBYSCORE",
            self.keys.waiting(queue),
            "-inf",
            f"({before_ms}",
            "WITHSCORES",
            "LIMIT",
            0,
            limit,
        )

        def decode(replies: list[Any]) -> list[tuple[str, int]]:
            return [(run_id, int(float(score))) for run_id, score in pairs(replies[0]).items()]

        return Commands([command], decode, transaction=False)

    def created_between(self, since: datetime, until: datetime, limit: int) -> Commands[list[str]]:
        """The newest `limit` run ids created in [since, until], newest first."""
        command = (
            "ZREVRANGEBYSCORE",
            self.keys.index("all"),
            ms(until),
            ms(since),
            "LIMIT",
            0,
            limit,
        )
        return Commands([command], lambda r: [str(run_id) for run_id in r[0]], transaction=False)

    def run_fields(
        self, run_ids: Sequence[str], fields: Sequence[str]
    ) -> Commands[list[list[str | None]]]:
        """The given hash fields of each run, in order (None where absent)."""
        commands = [("HMGET", self.keys.run(run_id), *fields) for run_id in run_ids]
        return Commands(commands, list, transaction=False)  # type: ignore[arg-type]

    def metrics_snapshot(self, queues: Sequence[str]) -> Commands[list[Any]]:
        """The counted metrics, the open and processing counts, and per queue its depth and
        oldest message: `[fields, open, processing, depth, oldest, depth, oldest, ...]`."""
        k = self.keys
        commands: list[tuple[Any, ...]] = [
            ("HGETALL", k.metrics),
            ("ZCARD", k.index("status", RunStatus.OPEN)),
            ("ZCARD", k.index("status", RunStatus.PROCESSING)),
        ]
        for queue in queues:
            commands += [("LLEN", k.queue(queue)), ("LINDEX", k.queue(queue), -1)]
        return Commands(commands, list, transaction=False)

    def memory_info(self) -> Commands[dict[str, Any]]:
        """Redis's `INFO memory` and `INFO stats` sections (eviction policy, evicted keys)."""

        def decode(replies: list[Any]) -> dict[str, Any]:
            return {**replies[0], **replies[1]}

        return Commands([("INFO", "memory"), ("INFO", "stats")], decode, transaction=False)
