"""`Sweeper`: the recovery sweep, in every worker's main process (a lock lets one of them
sweep per interval, so no extra process is deployed). One pass reads only what needs it:

- the runs whose time has come in the store's `due` set: a processing run whose lease
  expired (its worker died: the attempt is recorded lost and the next one put on the queue),
  an open run past its queue timeout or deadline (it fails without starting);
- the finished runs whose retention has ended: they are forgotten (records and every
  index entry; `forget.lua`);
- per queue, the open runs whose message left the queue long ago (the queue's oldest waiting
  message went out later, by `redispatch_after_s`) and whose attempt never started: their
  message was lost inside the broker (a worker died between taking it and recording it as
  delivered); a copy is put on the queue.

Neither grows with the backlog: waiting runs are read by neither (see docs/reliability.md).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import Literal

from redis.exceptions import RedisError

from actionpool.actions.errors import WorkerLostError
from actionpool.worker.broker.envelope import pushed_ms_of
from actionpool.worker.clock import ms
from actionpool.worker.execution.executor import Executor
from actionpool.worker.execution.leases import Leases
from actionpool.worker.store.ops import Op
from actionpool.worker.store.records import RunStatus
from actionpool.worker.telemetry import spans

log = logging.getLogger(__name__)

SWEEP_BATCH = 500
"""Most due runs, and most runs per queue, one pass looks at (the next pass goes on)."""

DueReason = Literal["lease-expired", "deadline", "queue-timeout"]


def due_reason(fields: dict[str, str], now_ms: int) -> DueReason | None:
    """Why a run found in the due set needs the sweep now, from its hash fields."""
    status = fields.get("status")
    if status == "processing":
        lease_until = fields.get("leaseUntilMs")
        return "lease-expired" if lease_until is not None and int(lease_until) < now_ms else None
    if status != "open":
        return None
    if "deadlineMs" in fields and now_ms > int(fields["deadlineMs"]):
        return "deadline"
    if "queueDeadlineMs" in fields and now_ms > int(fields["queueDeadlineMs"]):
        return "queue-timeout"
    return None


def lost_before_ms(oldest_payload: str | None, now_ms: int, margin_ms: int) -> int | None:
    """Open runs of a queue whose message went out before this time have left the queue at
    least `margin_ms` ago: its oldest waiting message (`oldest_payload`; None when the queue
    is empty) went out later. None when that message does not say when it went out."""
    if oldest_payload is None:
        return now_ms - margin_ms
    pushed_ms = pushed_ms_of(oldest_payload)
    return None if pushed_ms is None else min(pushed_ms, now_ms) - margin_ms


class Sweeper:
    def __init__(
        self,
        leases: Leases,
        executor: Executor,
        *,
        interval_s: float,
        redispatch_after_s: float = 60.0,
        batch: int = SWEEP_BATCH,
    ) -> None:
        self.leases = leases
        self.store = leases.store
        self.executor = executor
        self.interval_s = interval_s
        self.redispatch_after_ms = int(redispatch_after_s * 1000)
        self.batch = batch
        self.retry_ms = int(interval_s * 1000)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="actionpool-sweep", daemon=True)

    def sweep_once(self) -> dict[str, str]:
        """One pass (if it is this worker's turn): run id -> what was done to it."""
        if not self.leases.take_sweep_turn(self.interval_s * 0.9):
            return {}
        outcomes: dict[str, str] = {}
        self._sweep_due(outcomes)
        self._guard_queues(outcomes)
        self._forget_ended(outcomes)
        return outcomes

    def _sweep_due(self, outcomes: dict[str, str]) -> None:
        now_ms = ms(self.store.now())
        for due in self.store.due(self.batch):
            run_id, fields = due.run_id, due.fields
            reason = due_reason(fields, now_ms)
            later = self.store.writes.defer(self.store.keys.due, run_id, now_ms + self.retry_ms)
            if reason == "lease-expired":
                error = WorkerLostError("the worker running the attempt stopped heartbeating")
                recover = partial(self.recover, run_id, int(fields["attempt"]), error)
                self._settle(outcomes, run_id, recover, later)
            elif reason is not None:
                expire = partial(self.executor.expire, run_id, fields["queue"], reason)
                self._settle(outcomes, run_id, expire, later)
            else:  # its entry was out of date: back to its true due time, or out
                self.store.rescore(run_id)

    def _guard_queues(self, outcomes: dict[str, str]) -> None:
        queues = self.store.run(self.store.reads.queues())
        oldest = self.store.run(self.store.reads.oldest_messages(queues)) if queues else []
        now_ms = ms(self.store.now())
        for queue, payload in zip(queues, oldest, strict=True):
            before_ms = lost_before_ms(payload, now_ms, self.redispatch_after_ms)
            if before_ms is None:
                log.warning("queue %s: its oldest message does not say when it went out", queue)
                continue
            waiting = self.store.run(self.store.reads.waiting_before(queue, before_ms, self.batch))
            later = partial(self.store.writes.defer, self.store.keys.waiting(queue))
            for run_id, seen_ms in waiting:
                redispatch = partial(self.redispatch, run_id, queue, seen_ms)
                self._settle(outcomes, run_id, redispatch, later(run_id, now_ms))

    def _forget_ended(self, outcomes: dict[str, str]) -> None:
        """Forget the finished runs whose retention has ended: records and index entries."""
        now = self.store.now()
        run_ids = self.store.run(self.store.reads.forgettable(now, self.batch))
        for run in self.store.run(self.store.reads.indexed_runs(run_ids)) if run_ids else []:
            if self.store.run(self.store.writes.forget(run, now)):
                outcomes[run.run_id] = "forgotten"

    def recover(self, run_id: str, number: int, error: BaseException) -> str:
        """Settle attempt `number` of a run whose lease expired, and put the next one out."""
        outcome = self.executor.settle_lost(run_id, number, error, expired_by=self.store.now())
        if outcome not in ("stale", "alive"):
            action_id = self.store.run(self.store.reads.run_field(run_id, "actionId"))
            self.store.count("leases_recovered", [action_id or ""])
        return outcome

    def redispatch(self, run_id: str, queue: str, seen_ms: int) -> str:
        """Put a copy of an open run's next attempt on its queue: its message left the queue
        long ago and the attempt never started (lost in the broker). A copy that turns out
        not to be lost is harmless: `claim` runs one of them. A run no longer open leaves
        the queue's waiting set."""
        run = self.store.run(self.store.reads.run(run_id))
        message = None
        if run is not None and run.status == RunStatus.OPEN:
            action = self.executor.registry.get(run.action_id)
            with spans.resumed(run.traceparent):
                message = self.executor.dispatcher.message(run, action, run.attempt + 1)
        outcome = self.store.redispatch(run_id, queue, seen_ms, message)
        if outcome == "redispatched" and run is not None:
            log.warning("run %s: attempt %d put on its queue again", run_id, run.attempt + 1)
        return outcome

    def _settle(
        self, outcomes: dict[str, str], run_id: str, action: Callable[[], str], later: Op[None]
    ) -> None:
        """One run's recovery; its failure is logged, the run is looked at again a sweep
        interval later (`later`: it must not hold the head of its set), and the sweep goes on
        (another worker, with the run's action installed, may well succeed)."""
        try:
            outcomes[run_id] = action()
        except Exception:
            log.exception("recovery of run %s failed", run_id)
            outcomes[run_id] = "error"
            with contextlib.suppress(RedisError):
                self.store.run(later)
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
