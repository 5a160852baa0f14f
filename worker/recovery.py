"""`Sweeper`: finds runs whose worker died (lease expired) and starts their next attempt.

It runs in every worker's main process; a lock lets one of them sweep per interval, so no
extra process is deployed. Recovery does not depend on the broker's visibility timeout.
"""

from __future__ import annotations

import logging
import threading

from actions.errors import WorkerLostError
from worker.execution import Executor
from worker.leases import Leases

log = logging.getLogger(__name__)


class Sweeper:
    def __init__(
        self,
        leases: Leases,
        executor: Executor,
        *,
        interval_s: float,
        redispatch_after_s: float = 60.0,
    ) -> None:
        self.leases = leases
        self.executor = executor
        self.interval_s = interval_s
        self.redispatch_after_s = redispatch_after_s
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="actionpool-sweep", daemon=True)

    def sweep_once(self) -> dict[str, str]:
        """Recover every expired run now (if it is this worker's turn); run id -> outcome."""
        if not self.leases.take_sweep_turn(self.interval_s * 0.9):
            return {}
        outcomes = {}
        for run_id in self.leases.expired():
            error = WorkerLostError("the worker running the attempt stopped heartbeating")
            outcomes[run_id] = self.executor.recover(run_id, error)
            log.warning("recovered run %s after its lease expired: %s", run_id, outcomes[run_id])
        for run_id, why in self.leases.overdue(self.redispatch_after_s):
            if why == "undispatched":
                outcomes[run_id] = self.executor.redispatch(run_id)
            else:
                outcomes[run_id] = self.executor.expire(run_id, why)
        return outcomes

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=self.interval_s + 5)

    def _loop(self) -> None:
        while not self._stopped.wait(self.interval_s):
            try:
                self.sweep_once()
            except Exception:  # a failed sweep is retried at the next interval
                log.exception("recovery sweep failed")
