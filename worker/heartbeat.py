"""`Heartbeat`: renews a running attempt's lease from a thread and relays cancellation.

Cancellation reaches the action with the heartbeat (Temporal's model): `ctx.cancelled` is set
when the run's cancellation was asked for, or when the attempt lost its lease. An attempt that
has not stopped `cancel_grace_s` later is killed by `on_grace_expired` (in a prefork child:
the process kills itself and Celery replaces it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType

from redis.exceptions import RedisError

from worker.leases import Leases

log = logging.getLogger(__name__)


class Heartbeat:
    def __init__(
        self,
        leases: Leases,
        run_id: str,
        attempt: int,
        *,
        interval_s: float,
        cancel_grace_s: float,
        on_grace_expired: Callable[[], None] | None = None,
    ) -> None:
        self.leases = leases
        self.run_id = run_id
        self.attempt = attempt
        self.interval_s = interval_s
        self.cancel_grace_s = cancel_grace_s
        self.on_grace_expired = on_grace_expired
        self.cancelled = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{run_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopped.set()
        self._thread.join(timeout=self.interval_s + 5)

    def _beat(self) -> None:
        stop_by: float | None = None
        while not self._stopped.wait(self.interval_s):
            if stop_by is None and self._must_stop():
                self.cancelled.set()
                stop_by = time.monotonic() + self.cancel_grace_s
            if stop_by is not None and time.monotonic() >= stop_by and self.on_grace_expired:
                log.warning("run %s attempt %d ignored cancellation", self.run_id, self.attempt)
                self.on_grace_expired()
                return

    def _must_stop(self) -> bool:
        try:
            renewal = self.leases.renew(self.run_id, self.attempt)
        except RedisError as exc:  # keep beating: the lease outlives a short outage
            log.warning("run %s: heartbeat failed: %s", self.run_id, exc)
            return False
        if not renewal.held:
            log.warning("run %s attempt %d lost its lease", self.run_id, self.attempt)
        return renewal.cancel_requested or not renewal.held
