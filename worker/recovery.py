"""`Sweeper`: finds runs whose worker died (lease expired) and starts their next attempt.

It runs in every worker's main process; a lock lets one of them sweep per interval, so no
extra process is deployed. Recovery does not depend on the broker's visibility timeout.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial

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
        outcomes: dict[str, str] = {}
        for run_id, number in self.leases.expired():
            error = WorkerLostError("the worker running the attempt stopped heartbeating")
            self._settle(outcomes, run_id, partial(self.executor.recover, run_id, number, error))
        for run_id, why in self.leases.overdue(self.redispatch_after_s):
            if why == "undispatched":
                self._settle(
                    outcomes,
                    run_id,
                    partial(self.executor.redispatch, run_id, self.redispatch_after_s),
                )
            else:
                self._settle(outcomes, run_id, partial(self.executor.expire, run_id, why))
        return outcomes

    @staticmethod
    def _settle(outcomes: dict[str, str], run_id: str, action: Callable[[], str]) -> None:
        """One run's recovery; its failure is logged and does not stop the sweep."""
        try:
            outcomes[run_id] = action()
        except Exception:
            log.exception("recovery of run %s failed", run_id)
            outcomes[run_id] = "error"
        else:
            log.warning("recovery sweep: run %s %s", run_id, outcomes[run_id])

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
