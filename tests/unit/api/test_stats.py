"""`since` of `GET /v1/stats`: an ISO 8601 time or a duration before now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from actionpool.actions.errors import InputValidationError
from actionpool.api.routes.stats import parse_since

NOW = datetime(2026, 3, 8, 12, 0, 0, 123456, tzinfo=UTC)
NOW_MS = NOW.replace(microsecond=123000)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, NOW_MS - timedelta(days=7)),
        ("7d", NOW_MS - timedelta(days=7)),
        ("24h", NOW_MS - timedelta(hours=24)),
        ("30m", NOW_MS - timedelta(minutes=30)),
        ("90s", NOW_MS - timedelta(seconds=90)),
        ("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC)),
        ("2026-03-01T10:00:00Z", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("2026-03-01T10:00:00+02:00", datetime(2026, 3, 1, 8, tzinfo=UTC)),
        ("2026-03-01T10:00:00.123456", datetime(2026, 3, 1, 10, 0, 0, 123000, tzinfo=UTC)),
    ],
)
def test_since_is_a_time_or_a_duration_before_now(text: str | None, expected: datetime) -> None:
    # Given a `since` / When it is read at NOW / Then it names this moment, in UTC, to the ms
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize(
    "text",
    [
        "soon",
        "7 d",
        "-1d",
        "1w",
        "2026-03-01T10:00:00 02:00",
        "2026-04-01",
        "999999999d",
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC (it used to answer 500)
    ],
)
def test_an_unreadable_or_future_since_is_a_422_on_since(text: str) -> None:
    # Given a `since` that is no time, no duration, in the future or before year 1
    # When it is read / Then it is an input error on `query.since`
    with pytest.raises(InputValidationError) as caught:
        parse_since(text, NOW)
    assert [d["path"] for d in caught.value.details] == ["query.since"]
