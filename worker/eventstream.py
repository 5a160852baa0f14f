"""Following a run's event stream: the events after an id, then each new one as it is written.

Live readers (the API's Server-Sent Events) block on the run's Redis stream with `XREAD BLOCK`,
so an appended entry wakes them at once: there is no polling loop. Blocking happens in bounded
slices (shorter than the socket timeout); between slices that bring nothing, the run's status
is read, so a run that ended or expired without a further event ends the stream too.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from redis.exceptions import RedisError

from actionpool.worker.store.aio import AsyncRunStore
from actionpool.worker.store.records import TERMINAL_EVENT_TYPES, RunEvent, decode_event

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
"""Most stream entries read at once, so a long backlog goes out in bounded pieces."""


async def follow(
    store: AsyncRunStore,
    run_id: str,
    after: int,
    *,
    block_s: float,
    batch: int = BATCH_SIZE,
) -> AsyncIterator[RunEvent]:
    """The run's events with an id greater than `after`, oldest first, then each new one as
    it is written; ends after the run's last terminal event (`completion`, `cancelled`: a run
    retried after it ended has more than one, `POST /v1/runs/{id}/retry`), or once nothing
    is left of a run that has ended or no longer exists.

    A Redis failure ends the iteration with a warning instead of an error: a live reader
    reconnects and resumes from the last event it received.
    """
    slice_ms = max(1, int(block_s * 1000))  # XREAD BLOCK takes ms, and 0 means forever
    try:
        async for event in _follow(store, run_id, after, slice_ms, batch):
            yield event
    except RedisError as exc:
        log.warning("stopped following the events of run %s: Redis failed: %s", run_id, exc)


async def _follow(
    store: AsyncRunStore, run_id: str, after: int, slice_ms: int, batch: int
) -> AsyncIterator[RunEvent]:
    reads = store.reads
    last_id = f"0-{after}"
    quiet = True  # the last read brought nothing: look at the run before blocking again
    while True:
        ended = quiet and await store.send(reads.has_ended(run_id))
        block_ms = None if ended else slice_ms
        entries = await store.send(
            reads.new_entries(run_id, last_id, count=batch, block_ms=block_ms)
        )
        for entry_id, fields in entries:
            last_id = entry_id
            event = decode_event(run_id, entry_id, fields)
            yield event
            if event.type in TERMINAL_EVENT_TYPES and await _is_last_end(store, run_id, entry_id):
                return
        if ended and not entries:
            return
        quiet = ended or not entries


async def _is_last_end(store: AsyncRunStore, run_id: str, entry_id: str) -> bool:
    """A terminal event ends the stream when the run has ended and no event follows it (a
    retried run's earlier ends do not)."""
    position = await store.send(store.reads.stream_position(run_id))
    ended = position.status is None or position.status.is_terminal
    return ended and position.last_id == entry_id
