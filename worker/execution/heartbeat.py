"""Heartbeats: one thread per process renews the leases of the attempts running in it, and
relays cancellation to them.

Cancellation reaches the action with the heartbeat (Temporal's model): `ctx.cancelled` is set
when the run's cancellation was asked for, or when the attempt lost its lease. An attempt that
has not stopped `cancel_grace_s` later is killed by `on_grace_expired` (in a prefork child:
the process kills itself and Celery replaces it).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from types import TracebackType

from redis.exceptions import RedisError

from actionpool.worker.execution.leases import Leases

log = logging.getLogger(__name__)


class Heartbeat:
    """The heartbeat of one running attempt; a context manager around the attempt."""

    def __init__(
        self, beater: Beater, run_id: str, attempt: int, deadline_in_s: float | None = None
    ) -> None:
        self.beater = beater
        self.cancel_grace_s = beater.cancel_grace_s
        self.run_id = run_id
        self.attempt = attempt
        self.deadline = None if deadline_in_s is None else time.monotonic() + deadline_in_s
        self.deadline_passed = False
        """True once the run's deadline passed while this attempt ran (it is told to stop)."""
        self.cancelled = threading.Event()
        self.lost = False
        """True once this attempt no longer holds (or cannot show it holds) the run's lease."""
        self.stop_by: float | None = None
        self.renewed_at = time.monotonic()

    def __enter__(self) -> Heartbeat:
        self.beater.add(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.beater.remove(self)

    def beat(self, leases: Leases) -> bool:
        """Renew the lease; True when the grace after a cancellation has run out."""
        if self.stop_by is None and (self._past_deadline() or self._must_stop(leases)):
            self._stop()
        return self.stop_by is not None and time.monotonic() >= self.stop_by

    def mark_lost(self) -> None:
        """The store refused a write of this attempt (a log line, a checkpoint): another
        attempt holds the run. The action is told to stop at once, not at the next beat."""
        if not self.lost:
            log.warning("run %s attempt %d lost its lease: stopping", self.run_id, self.attempt)
        self.lost = True
        self._stop()

    def _stop(self) -> None:
        """Tell the action to stop (`ctx.cancelled`); it is killed after the grace."""
        if self.stop_by is None:
            self.cancelled.set()
            self.stop_by = time.monotonic() + self.cancel_grace_s

    def _past_deadline(self) -> bool:
        self.deadline_passed = self.deadline is not None and time.monotonic() >= self.deadline
        return self.deadline_passed

    def _must_stop(self, leases: Leases) -> bool:
        try:
            renewal = leases.renew(self.run_id, self.attempt)
        except RedisError as exc:  # keep beating while the lease may still be ours
            log.warning("run %s: heartbeat failed: %s", self.run_id, exc)
            unrenewed_s = time.monotonic() - self.renewed_at
            self.lost = unrenewed_s * 1000 >= leases.store.limits.lease_ttl_ms
            return self.lost
        self.renewed_at = time.monotonic()
        if not renewal.held and not self.beater.is_running(self):
            return False  # the attempt ended (and settled) while its lease was renewed
        if not renewal.held:
            log.warning("run %s attempt %d lost its lease", self.run_id, self.attempt)
            self.lost = True
        return renewal.cancel_requested or not renewal.held


class Beater:
    """The per-process thread behind every `Heartbeat` (started lazily, again after a fork)."""

    def __init__(
        self,
        leases: Leases,
        *,
        interval_s: float,
        cancel_grace_s: float,
        on_grace_expired: Callable[[], None] | None = None,
    ) -> None:
        self.leases = leases
        self.interval_s = interval_s
        self.cancel_grace_s = cancel_grace_s
        self.on_grace_expired = on_grace_expired
        self._running: set[Heartbeat] = set()
        self._lock = threading.Lock()
        self._pid: int | None = None

    def attempt(self, run_id: str, attempt: int, deadline_in_s: float | None = None) -> Heartbeat:
        return Heartbeat(self, run_id, attempt, deadline_in_s)

    def add(self, heartbeat: Heartbeat) -> None:
        with self._lock:
            self._running.add(heartbeat)
            if self._pid != os.getpid():  # first use in this process (a forked child)
                self._pid = os.getpid()
                threading.Thread(
                    target=self._loop, name="actionpool-heartbeat", daemon=True
                ).start()

    def is_running(self, heartbeat: Heartbeat) -> bool:
        with self._lock:
            return heartbeat in self._running

    def remove(self, heartbeat: Heartbeat) -> None:
        with self._lock:
            self._running.discard(heartbeat)

    def _loop(self) -> None:
        while True:
            time.sleep(self.interval_s)
            with self._lock:
                running = list(self._running)
            for heartbeat in running:
                if not self.is_running(heartbeat):  # its attempt ended since the copy
                    continue
                try:
                    expired = heartbeat.beat(self.leases)
                except Exception:  # the thread must outlive any one beat: it is every lease
                    log.exception("run %s: heartbeat failed", heartbeat.run_id)
                    continue
                if expired:
                    log.warning("run %s ignored cancellation", heartbeat.run_id)
                    self.remove(heartbeat)
                    if self.on_grace_expired:
                        self.on_grace_expired()
