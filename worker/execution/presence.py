"""`Beacon`: a worker's presence in the pool (`GET /v1/workers`), kept by a thread of its
main process: announced when the worker is ready, renewed every
`worker_heartbeat_interval_s`, withdrawn when the worker shuts down cleanly.

Celery sends `worker_shutdown` after a warm shutdown only; a cold one (SIGTERM, remapped to
SIGQUIT by `actionpool worker`) ends in `SystemExit` without it, so the withdrawal also runs
at the main process's exit (`atexit`). A killed worker withdraws nothing: it shows `lost`.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading

from redis.exceptions import RedisError

from actionpool import __version__
from actionpool.worker.clock import ms
from actionpool.worker.settings import PoolSettings
from actionpool.worker.store.presence import Announcement, announce, withdraw
from actionpool.worker.store.store import RunStore

log = logging.getLogger(__name__)


def announcement_of(settings: PoolSettings, queues: list[str], started_at_ms: int) -> Announcement:
    """What this process says of itself as a worker."""
    return Announcement(
        name=settings.worker_name,
        host=socket.gethostname(),
        pid=os.getpid(),
        concurrency=settings.worker_concurrency,
        queues=queues,
        version=__version__,
        started_at_ms=started_at_ms,
        heartbeat_interval_ms=int(settings.worker_heartbeat_interval_s * 1000),
    )


class Beacon:
    """The heartbeat of one worker (not of its attempts: `worker.execution.heartbeat`)."""

    def __init__(self, store: RunStore, announcement: Announcement) -> None:
        self.store = store
        self.announcement = announcement
        self.interval_s = announcement.heartbeat_interval_ms / 1000
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="actionpool-beacon", daemon=True)
        self._pid: int | None = None

    def beat(self) -> None:
        """Announce the worker now (its whole record, with this heartbeat's time)."""
        self.store.run(announce(self.store.keys, self.announcement, ms(self.store.now())))

    def start(self) -> None:
        """Start heartbeating (the first beat at once); withdraw at this process's exit."""
        self._pid = os.getpid()
        self._thread.start()
        atexit.register(self.stop)

    def stop(self) -> None:
        """Stop heartbeating and withdraw (once; only in the process that started it, never
        in a forked child)."""
        if self._pid != os.getpid() or self._stopped.is_set():
            return
        self._stopped.set()
        self._thread.join(timeout=self.interval_s + 5)
        try:
            self.store.run(withdraw(self.store.keys, self.announcement.name))
        except RedisError as exc:  # it shows lost, then leaves the listing by itself
            log.warning("worker %s could not withdraw: %s", self.announcement.name, exc)

    def _loop(self) -> None:
        while not self._stopped.is_set():
            try:
                self.beat()
            except Exception as exc:  # the next beat tries again; silent ones show lost
                log.warning("worker heartbeat failed: %s", exc)
            self._stopped.wait(self.interval_s)
