"""`runs logs`: a run's events, read page by page, or followed live on the event stream
(Server-Sent Events) until the run ends, resuming with `Last-Event-ID` when it drops."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx

from actionpool.console.http import EXIT_UNAVAILABLE, CliError, Pool

PAGE = 1000
"""Events per `GET /v1/runs/{id}/events` answer, at most."""
END_TYPES = frozenset({"completion", "cancelled"})
RECONNECTS = 10
"""Tries in a row to get the stream back before giving up (exit 6)."""
BACKOFF_S = (0.2, 0.5, 1, 2, 5)

Event = dict[str, Any]


def parse_frames(lines: Iterable[str]) -> Iterator[Event]:
    """The events in SSE lines: each frame's `data` (JSON); comments and other fields are
    skipped, a frame ends at a blank line."""
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                yield json.loads("\n".join(data))
            data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))


def event_line(event: Event) -> str:
    """`<time>  <type>  <message>` (a log line's level when it is not info)."""
    body = event.get("body") or {}
    message = str(body.get("message", ""))
    level = body.get("level")
    if level and level != "info":
        message = f"[{level}] {message}"
    error = body.get("error") if event.get("type") != "log" else None
    if isinstance(error, dict) and str(error.get("message")) not in message:
        message = f"{message} ({error.get('name')}: {error.get('message')})"
    return f"{event.get('createdAt', '')}  {event.get('type', '')}  {message}"


def read_events(pool: Pool, run_id: str) -> list[Event]:
    """Every event the run has now (pages of `PAGE`)."""
    events: list[Event] = []
    while True:
        after = events[-1]["id"] if events else 0
        page: list[Event] = pool.get(f"/v1/runs/{run_id}/events", {"after": str(after)})
        events.extend(page)
        if len(page) < PAGE:
            return events


@dataclasses.dataclass
class Cursor:
    """How far a follow has got: the last event shown, and whether it was an end."""

    after: int = 0
    ended: bool = False

    def shown(self, event: Event) -> None:
        self.after, self.ended = event["id"], event.get("type") in END_TYPES


def stream_once(pool: Pool, run_id: str, cursor: Cursor, show: Callable[[Event], None]) -> None:
    """One connection to the stream, from after `cursor`, until the pool closes it (after the
    run's end: a retried run's stream goes on past its earlier end)."""
    headers = {"Accept": "text/event-stream", "Last-Event-ID": str(cursor.after)}
    with pool.stream(f"/v1/runs/{run_id}/events", headers) as response:
        for event in parse_frames(response.iter_lines()):
            if event["id"] > cursor.after:
                show(event)
                cursor.shown(event)


def follow(pool: Pool, run_id: str, show: Callable[[Event], None]) -> None:
    """Shows the run's events as they come, until the stream closes after the run's end;
    reconnects (`Last-Event-ID`) when it drops or the pool is unavailable for a while, up
    to `RECONNECTS` tries in a row without a new event."""
    cursor, failures = Cursor(), 0
    while True:
        before = cursor.after
        try:
            stream_once(pool, run_id, cursor, show)
        except httpx.TransportError as exc:  # dropped mid-stream, or cannot connect
            reason = f"PoolUnavailableError: {pool.url}: {exc}"
        except CliError as error:  # an answer before the stream: only 502-504 are retried
            if error.exit_code != EXIT_UNAVAILABLE:
                raise
            reason = str(error)
        else:
            if cursor.ended:
                return
            reason = "the event stream ended before the run did"
        failures = 0 if cursor.after > before else failures + 1
        if failures > RECONNECTS:
            raise CliError(EXIT_UNAVAILABLE, reason)
        if failures:
            time.sleep(BACKOFF_S[min(failures, len(BACKOFF_S)) - 1])
