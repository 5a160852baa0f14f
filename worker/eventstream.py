"""Following a run's event stream: the events after an id, then each new one as it is written.

Live readers (the API's Server-Sent Events) block on the run's Redis stream with `XREAD BLOCK`,
so an appended entry wakes them at once: there is no polling loop. Blocking happens in bounded
slices (shorter than the socket timeout); between slices that bring nothing, the run's status
is read, so a run that ended or expired without a further event ends the stream too.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import RedisError

from worker.keys import Keys
from worker.records import TERMINAL_EVENT_TYPES, RunEvent, RunStatus, decode_event

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
"""Most stream entries read at once, so a long backlog goes out in bounded pieces."""

Entry = tuple[str, dict[str, str]]


async def follow(
    aredis: AsyncRedis,
    keys: Keys,
    run_id: str,
    after: int,
    *,
    block_s: float,
    batch: int = BATCH_SIZE,
) -> AsyncIterator[RunEvent]:
    """The run's events with an id greater than `after`, oldest first, then each new one as
    it is written; ends after a terminal event (`completion`, `cancelled`), or once nothing is
    left of a run that has ended or no longer exists.

    A Redis failure ends the iteration with a warning instead of an error: a live reader
    reconnects and resumes from the last event it received.
    """
    slice_ms = max(1, int(block_s * 1000))  # XREAD BLOCK takes ms, and 0 means forever
    try:
        async for event in _follow(aredis, keys, run_id, after, slice_ms, batch):
            yield event
    except RedisError as exc:
        log.warning("stopped following the events of run %s: Redis failed: %s", run_id, exc)


async def _follow(
    aredis: AsyncRedis, keys: Keys, run_id: str, after: int, slice_ms: int, batch: int
) -> AsyncIterator[RunEvent]:
    stream = keys.events(run_id)
    last_id = f"0-{after}"
    quiet = True  # the last read brought nothing: look at the run before blocking again
    while True:
        ended = quiet and await has_ended(aredis, keys, run_id)
        block_ms = None if ended else slice_ms
        entries = await read(aredis, stream, last_id, count=batch, block_ms=block_ms)
        for entry_id, fields in entries:
            last_id = entry_id
            event = decode_event(run_id, entry_id, fields)
            yield event
            if event.type in TERMINAL_EVENT_TYPES:
                return
        if ended and not entries:
            return
        quiet = ended or not entries


async def has_ended(aredis: AsyncRedis, keys: Keys, run_id: str) -> bool:
    """True when the run is in a terminal status, or gone (expired after its retention)."""
    status: Any = await aredis.hget(keys.run(run_id), "status")  # type: ignore[misc]
    return status is None or RunStatus(status).is_terminal


async def read(
    aredis: AsyncRedis, stream: str, last_id: str, *, count: int, block_ms: int | None
) -> list[Entry]:
    """Entries after `last_id`; with `block_ms`, waits that long for one when there is none."""
    reply: Any = await aredis.xread({stream: last_id}, count=count, block=block_ms)
    return [entry for _stream, entries in reply or [] for entry in entries]
