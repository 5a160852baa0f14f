"""`runs logs -f`: the frames of the event stream, and resuming after a dropped stream."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from actionpool.console import follow as following
from actionpool.console.follow import Event, event_line, follow, parse_frames
from actionpool.console.http import CliError, Pool


def frame(event_id: int, type: str = "log", message: str = "m") -> str:
    event = {"id": event_id, "type": type, "body": {"message": message}, "createdAt": "t"}
    return f"id: {event_id}\nevent: {type}\ndata: {json.dumps(event)}\n\n"


def test_frames_are_the_data_of_each_event_and_comments_are_skipped() -> None:
    lines = (": keep-alive\n\n" + frame(1) + frame(2, "completion")).split("\n")
    assert [event["id"] for event in parse_frames(lines)] == [1, 2]


def test_an_event_line_names_its_time_type_message_and_a_failed_runs_error() -> None:
    log = {"createdAt": "t", "type": "log", "body": {"message": "hi", "level": "warning"}}
    assert event_line(log) == "t  log  [warning] hi"
    body = {"message": "Run completed with status: failed", "error": {"name": "E", "message": "x"}}
    end = {"createdAt": "t", "type": "completion", "body": body}
    assert event_line(end) == "t  completion  Run completed with status: failed (E: x)"


def dropping(body: str) -> Iterator[bytes]:
    yield body.encode()
    raise httpx.ReadError("connection reset")


class Stream:
    """A pool whose first stream drops after two events; the next resumes after them."""

    def __init__(self) -> None:
        self.resumed_after: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.resumed_after.append(request.headers.get("last-event-id"))
        headers = {"content-type": "text/event-stream"}
        if len(self.resumed_after) == 1:
            return httpx.Response(200, headers=headers, stream=httpx_stream(frame(1) + frame(2)))
        return httpx.Response(200, headers=headers, text=frame(2) + frame(3, "completion"))


class httpx_stream(httpx.SyncByteStream):  # noqa: N801 - reads as what it makes
    def __init__(self, body: str) -> None:
        self.body = body

    def __iter__(self) -> Iterator[bytes]:
        return dropping(self.body)


def test_a_dropped_stream_is_resumed_after_the_last_event_shown() -> None:
    # Given a pool whose stream drops after events 1 and 2
    stream = Stream()
    pool = Pool("http://pool", "t", transport=httpx.MockTransport(stream))
    shown: list[Event] = []
    # When the run is followed
    follow(pool, "run", shown.append)
    # Then every event is shown once, the second connection asked for those after 2
    assert [event["id"] for event in shown] == [1, 2, 3]
    assert stream.resumed_after == ["0", "2"]


def test_a_stream_that_cannot_be_had_back_ends_as_unavailable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(following, "BACKOFF_S", (0,))

    def unavailable(request: httpx.Request) -> httpx.Response:
        body = {"error": {"name": "StoreUnavailableError", "message": "down"}}
        return httpx.Response(503, json=body)

    pool = Pool("http://pool", "t", transport=httpx.MockTransport(unavailable))
    with pytest.raises(CliError) as raised:
        follow(pool, "run", lambda event: None)
    assert (raised.value.exit_code, str(raised.value)) == (6, "StoreUnavailableError: down")


def test_an_unknown_run_is_not_retried() -> None:
    calls: list[int] = []

    def missing(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(404, json={"error": {"name": "RunNotFoundError", "message": "x"}})

    with pytest.raises(CliError) as raised:
        follow(Pool("http://p", None, transport=httpx.MockTransport(missing)), "r", print)
    assert (raised.value.exit_code, calls) == (3, [1])
