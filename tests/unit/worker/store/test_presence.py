"""The presence policy: up or lost, forgotten, and a worker's hash read at the edge."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from actionpool.worker.clock import ms
from actionpool.worker.store.keys import WORKER_FORGET_AFTER_S
from actionpool.worker.store.presence import (
    LOST_AFTER_BEATS,
    Announcement,
    decode_presence,
    is_forgotten,
    status_of,
    worker_info,
)

INTERVAL_MS = 5000
STARTED = datetime(2026, 3, 1, 9, 0, 0, 123000, tzinfo=UTC)
ANNOUNCEMENT = Announcement(
    name="w1@host",
    host="host",
    pid=4242,
    concurrency=4,
    queues=["default", "long"],
    version="1.2.3",
    started_at_ms=ms(STARTED),
    heartbeat_interval_ms=INTERVAL_MS,
)


@pytest.mark.parametrize(
    ("silent_ms", "status"),
    [
        (0, "up"),
        (INTERVAL_MS, "up"),
        (LOST_AFTER_BEATS * INTERVAL_MS, "up"),
        (LOST_AFTER_BEATS * INTERVAL_MS + 1, "lost"),
        (10 * LOST_AFTER_BEATS * INTERVAL_MS, "lost"),
    ],
)
def test_a_worker_is_lost_once_it_missed_three_heartbeats(silent_ms: int, status: str) -> None:
    # Given a worker that last heartbeat `silent_ms` ago
    now_ms = 1_000_000_000
    # When its status is decided
    # Then it is up up to three of its intervals, lost after
    assert status_of(now_ms - silent_ms, INTERVAL_MS, now_ms) == status


def test_a_heartbeat_from_a_clock_ahead_counts_as_up() -> None:
    # Given a heartbeat time a little in the future (the worker's clock runs ahead)
    # When the status is decided
    # Then the worker is up
    assert status_of(2_000, INTERVAL_MS, 1_000) == "up"


def test_a_lost_worker_is_forgotten_a_day_after_its_last_heartbeat() -> None:
    # Given a worker's last heartbeat
    last_ms = 1_000_000
    forget_ms = WORKER_FORGET_AFTER_S * 1000
    # When the listing is read just before and at a day later
    # Then it is listed until the day has passed
    assert not is_forgotten(last_ms, last_ms + forget_ms - 1)
    assert is_forgotten(last_ms, last_ms + forget_ms)


def test_a_worker_hash_survives_the_round_trip() -> None:
    # Given the hash fields a heartbeat writes
    fields = {**ANNOUNCEMENT.fields(), "heartbeatAtMs": "1772355600000"}
    # When they are read back
    presence = decode_presence(fields)
    # Then they are the announcement and its heartbeat time
    assert all(isinstance(value, str) for value in fields.values())
    assert fields["queues"] == '["default", "long"]'
    assert presence is not None
    assert presence.model_dump(exclude={"heartbeat_at_ms"}) == ANNOUNCEMENT.model_dump()
    assert presence.heartbeat_at_ms == 1772355600000


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"name": "w1"},
        {**ANNOUNCEMENT.fields(), "heartbeatAtMs": "soon"},
        {**ANNOUNCEMENT.fields(), "heartbeatAtMs": "1", "queues": "not json"},
    ],
    ids=["gone", "partial", "bad-time", "bad-queues"],
)
def test_a_hash_that_is_not_a_worker_is_left_out(fields: dict[str, str]) -> None:
    # When a hash that is gone or is not a worker's is read
    # Then it is no worker
    assert decode_presence(fields) is None


def test_the_listing_shows_a_worker_in_camel_case_with_iso_times() -> None:
    # Given a worker that heartbeat 20 s ago with an interval of 5 s, running 2 attempts
    heartbeat_ms = ms(STARTED) + 60_000
    presence = decode_presence({**ANNOUNCEMENT.fields(), "heartbeatAtMs": str(heartbeat_ms)})
    assert presence is not None
    # When it is shown
    shown = worker_info(presence, 2, heartbeat_ms + 20_000).model_dump(mode="json", by_alias=True)
    # Then every field is there, and it is lost
    assert shown == {
        "name": "w1@host",
        "host": "host",
        "pid": 4242,
        "concurrency": 4,
        "runsInHand": 2,
        "queues": ["default", "long"],
        "version": "1.2.3",
        "startedAt": "2026-03-01T09:00:00.123Z",
        "lastHeartbeatAt": "2026-03-01T09:01:00.123Z",
        "status": "lost",
    }
