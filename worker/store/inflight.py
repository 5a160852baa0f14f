"""The attempts running now: each processing run, the queue it came from and the worker its
attempt record names. `GET /v1/workers` counts them per worker (`runsInHand`), `GET
/v1/queues` per queue (`inFlight`).

They are read from the records the scripts keep, not from a counter of their own, so they are
exact: the `processing` status index, then each run's `status`, `attempt` and `queue` and its
attempts hash (a few entries). Two round trips, over as many runs as are processing: at most
the pool's total concurrency, plus the attempts of workers that died until the sweep recovers
them (their lease expires).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from actionpool.worker.store.aio import AsyncRunStore
from actionpool.worker.store.keys import Keys
from actionpool.worker.store.ops import Command, Commands
from actionpool.worker.store.records import RunStatus

RUN_FIELDS = ("status", "attempt", "queue")
"""What the count needs of a processing run's hash."""


@dataclasses.dataclass(frozen=True)
class InFlight:
    """One attempt running now."""

    run_id: str
    queue: str
    worker: str


def in_flight_of(
    run_id: str, row: Sequence[str | None], attempts: dict[str, str]
) -> InFlight | None:
    """The running attempt of a run from its hash fields (`RUN_FIELDS`) and attempts hash;
    None when the run is no longer processing (it ended between the two reads) or its attempt
    has no record naming a worker."""
    status, attempt, queue = row
    if status != RunStatus.PROCESSING or attempt is None or queue is None:
        return None
    record = attempts.get(attempt)
    try:
        worker = json.loads(record)["worker"] if record else None
    except (ValueError, KeyError, TypeError):
        return None
    return InFlight(run_id, queue, worker) if isinstance(worker, str) else None


def processing_ids(keys: Keys) -> Commands[list[str]]:
    """Every run in the `processing` status index."""
    command = ("ZRANGE", keys.index("status", RunStatus.PROCESSING), 0, -1)
    return Commands([command], lambda r: [str(run_id) for run_id in r[0]])


def attempts_of(keys: Keys, run_ids: Sequence[str]) -> Commands[list[InFlight]]:
    """The running attempt of each run (those that ended meanwhile are left out)."""
    commands: list[Command] = []
    for run_id in run_ids:
        commands += [("HMGET", keys.run(run_id), *RUN_FIELDS), ("HGETALL", keys.attempts(run_id))]

    def decode(replies: list[Any]) -> list[InFlight]:
        found = (
            in_flight_of(run_id, row, attempts or {})
            for run_id, row, attempts in zip(run_ids, replies[0::2], replies[1::2], strict=True)
        )
        return [attempt for attempt in found if attempt is not None]

    return Commands(commands, decode, transaction=False)


async def read_in_flight(store: AsyncRunStore) -> list[InFlight]:
    """The attempts running now, in two round trips."""
    run_ids = await store.run(processing_ids(store.keys))
    return await store.run(attempts_of(store.keys, run_ids)) if run_ids else []
