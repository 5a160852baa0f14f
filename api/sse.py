"""Server-Sent Events: when a request asks for them, and run events in Backstage's framing.

Backstage's scaffolder router writes each task event as
`event: ${event.type}\\ndata: ${JSON.stringify(event)}\\n\\n`; the pool adds `id:` (the event
id), so a browser's `EventSource` resumes with `Last-Event-ID` after a reconnect.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import anyio
from sse_starlette import EventSourceResponse, ServerSentEvent

from actionpool.actions.errors import MalformedRequestError
from actionpool.worker.client import RunEvent

EVENT_STREAM = "text/event-stream"
SEPARATOR = "\n"
KEEPALIVE_COMMENT = "keep-alive"
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
"""No caching, and no buffering in nginx-style proxies (each event must go out at once)."""

SHUTDOWN_GRACE_S = 1.0
"""On shutdown, how long a stream may take to end properly before it is cut."""

_EVENT_ID = re.compile(r"[0-9]{1,16}")


def wants_event_stream(accept: str | None) -> bool:
    """True when the Accept header lists `text/event-stream` (and does not refuse it, q=0)."""
    for item in (accept or "").split(","):
        media_type, *params = (part.strip().lower() for part in item.split(";"))
        if media_type == EVENT_STREAM and not any(_is_zero_q(p) for p in params):
            return True
    return False


def _is_zero_q(param: str) -> bool:
    name, _, value = param.partition("=")
    if name.strip() != "q":
        return False
    try:
        return float(value) == 0
    except ValueError:
        return False


def parse_last_event_id(value: str | None, *, max_id: int) -> int | None:
    """The event id of a `Last-Event-ID` header (None when absent or empty)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not _EVENT_ID.fullmatch(text) or int(text) > max_id:
        raise MalformedRequestError(
            f"Last-Event-ID: {value[:40]!r} is not an event id (an integer from 0 to {max_id})"
        )
    return int(text)


def frame(event: RunEvent) -> ServerSentEvent:
    """`id: <id>`, `event: <type>`, `data: <the event as JSON>` (the JSON list's item shape)."""
    return ServerSentEvent(
        data=event.model_dump_json(by_alias=True),
        event=event.type,
        id=str(event.id),
        sep=SEPARATOR,
    )


async def frames(
    events: AsyncIterator[RunEvent], shutdown: anyio.Event, keepalive_s: float
) -> AsyncIterator[ServerSentEvent]:
    """Each event as a frame, and a keep-alive comment whenever `keepalive_s` pass without
    one, until the events end (nothing follows the terminal event) or the server shuts down
    (the stream then ends properly, its last chunk sent, and the client resumes elsewhere
    with Last-Event-ID). Keep-alives are frames of this one sequence, never sent beside it."""
    stop = asyncio.ensure_future(shutdown.wait())
    pending: asyncio.Future[RunEvent] | None = None
    try:
        while True:
            pending = asyncio.ensure_future(anext(events))
            while not pending.done():
                await asyncio.wait({pending, stop}, timeout=keepalive_s, return_when=FIRST)
                if stop.done():
                    return
                if not pending.done():
                    yield keepalive()
            try:
                event = pending.result()
            except StopAsyncIteration:
                return
            yield frame(event)
    finally:
        for task in (stop, pending):
            if task is not None and not task.done():
                task.cancel()


FIRST = asyncio.FIRST_COMPLETED


def keepalive() -> ServerSentEvent:
    """A comment line: ignored by clients, but traffic for proxies that cut idle streams."""
    return ServerSentEvent(comment=KEEPALIVE_COMMENT, sep=SEPARATOR)


def event_stream_response(
    events: AsyncIterator[RunEvent], keepalive_s: float
) -> EventSourceResponse:
    """A streaming response that sends each event as it comes, a keep-alive comment every
    `keepalive_s`, and ends when `events` does (or the server shuts down)."""
    shutdown = anyio.Event()
    return EventSourceResponse(
        frames(events, shutdown, keepalive_s),
        headers=HEADERS,
        ping=0,  # keep-alives come from `frames`, in order with the events
        sep=SEPARATOR,
        shutdown_event=shutdown,
        shutdown_grace_period=SHUTDOWN_GRACE_S,
    )
