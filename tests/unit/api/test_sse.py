"""Server-Sent Events helpers: Accept negotiation, Last-Event-ID, Backstage's framing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import anyio
import pytest

from actionpool.actions.errors import MalformedRequestError
from actionpool.api.sse import (
    KEEPALIVE_COMMENT,
    frame,
    frames,
    keepalive,
    parse_last_event_id,
    wants_event_stream,
)
from actionpool.worker.store.records import RunEvent


@pytest.mark.parametrize(
    ("accept", "wanted"),
    [
        ("text/event-stream", True),
        ("Text/Event-Stream; charset=utf-8", True),
        ("application/json, text/event-stream;q=0.5", True),
        ("text/event-stream;q=0", False),
        ("application/json", False),
        ("*/*", False),
        ("", False),
        (None, False),
    ],
)
def test_an_event_stream_is_wanted_only_when_accept_lists_it(
    accept: str | None, wanted: bool
) -> None:
    assert wants_event_stream(accept) is wanted


@pytest.mark.parametrize(("value", "after"), [(None, None), ("", None), ("7", 7), (" 42 ", 42)])
def test_last_event_id_is_an_event_id_or_nothing(value: str | None, after: int | None) -> None:
    assert parse_last_event_id(value, max_id=2**53) == after


@pytest.mark.parametrize("value", ["x", "-1", "1.5", "+3", "1_000", "٣", str(2**53 + 1)])
def test_anything_else_in_last_event_id_is_a_malformed_request(value: str) -> None:
    with pytest.raises(MalformedRequestError, match="Last-Event-ID"):
        parse_last_event_id(value, max_id=2**53)


def test_an_event_is_framed_with_its_id_type_and_json() -> None:
    # Given a run event
    created_at = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    event = RunEvent(id=3, run_id="r", type="completion", body={"a": 1}, created_at=created_at)
    # When it is framed
    encoded = frame(event).encode().decode()
    # Then it is `id`, `event`, `data` (the camelCase JSON), and a blank line
    assert encoded == (
        "id: 3\n"
        "event: completion\n"
        'data: {"id":3,"runId":"r","type":"completion","body":{"a":1},'
        '"createdAt":"2026-01-02T03:04:05.678Z"}\n'
        "\n"
    )


def test_the_keepalive_is_a_comment_line() -> None:
    assert keepalive().encode() == b": keep-alive\n\n"


def log_event(event_id: int, event_type: str = "log") -> RunEvent:
    return RunEvent(id=event_id, run_id="r", type=event_type, body={}, created_at=datetime.now(UTC))


@pytest.mark.anyio
async def test_a_shutdown_ends_the_frames_while_the_events_wait() -> None:
    # Given frames of events where, after the first, none comes for ever
    async def events() -> AsyncIterator[RunEvent]:
        yield log_event(1)
        await anyio.sleep_forever()

    shutdown = anyio.Event()
    sent = frames(events(), shutdown, keepalive_s=3600)
    assert (await anext(sent)).id == "1"
    # When the server shuts down
    shutdown.set()
    # Then the frames end, instead of waiting with the events (for ever)
    with pytest.raises(StopAsyncIteration):
        await anext(sent)


@pytest.mark.anyio
async def test_keepalives_come_between_events_and_nothing_comes_after_the_last() -> None:
    # Given events where the terminal one waits until two keep-alives went out
    two_keepalives = anyio.Event()

    async def events() -> AsyncIterator[RunEvent]:
        yield log_event(1)
        await two_keepalives.wait()
        yield log_event(2, "completion")

    # When the frames are read, with a keep-alive every 10 ms
    sent: list[str] = []
    async for item in frames(events(), anyio.Event(), keepalive_s=0.01):
        sent.append(item.id or item.comment or "")
        if sent.count(KEEPALIVE_COMMENT) == 2:
            two_keepalives.set()
    # Then keep-alives filled the wait, and the terminal event was the last frame
    assert sent[0] == "1" and sent[-1] == "2"
    assert set(sent[1:-1]) == {KEEPALIVE_COMMENT} and len(sent) >= 4
