"""The pool's clock, and the two forms of a moment the store keeps: epoch milliseconds (what
the Lua scripts compare) and ISO 8601 text in UTC with milliseconds (what callers read).

Whatever decides by the time of day (deadlines, leases, the sweep, retention) takes a `Clock`
instead of asking the system, so a test moves time forward instead of sleeping. Moments are
whole milliseconds: the precision of every time the pool stores and shows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, in UTC, to the millisecond."""


class SystemClock:
    """The clock of the machine (keep it synchronised: workers on several hosts compare
    their times with each other's, through the store)."""

    def now(self) -> datetime:
        return whole_ms(datetime.now(UTC))


SYSTEM_CLOCK = SystemClock()


def whole_ms(moment: datetime) -> datetime:
    """`moment` in UTC, cut to the millisecond."""
    utc = moment.astimezone(UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def ms(moment: datetime) -> int:
    """Epoch milliseconds of a moment."""
    return int(moment.timestamp() * 1000)


def from_ms(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a `Z`: `2026-11-26T09:45:21.635Z`."""
    return whole_ms(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def after(moment: datetime, seconds: float | None) -> datetime | None:
    """`seconds` after `moment` (None for no limit)."""
    return None if seconds is None else whole_ms(moment + timedelta(seconds=seconds))
