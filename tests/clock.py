"""A clock the tests move by hand: deadlines, queue timeouts and leases expire when a test
says so, without sleeping."""

from __future__ import annotations

from datetime import datetime, timedelta

from actionpool.worker.clock import SYSTEM_CLOCK


class ManualClock:
    """Starts at the real time; moves only when `advance` is called."""

    def __init__(self, start: datetime | None = None) -> None:
        self.moment = start or SYSTEM_CLOCK.now()

    def now(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)
