"""Leases: which attempt holds a run, kept alive by heartbeats; and the recovery sweep's lock.

A lease is `run:{id}:lease` = the attempt number (the fencing token), with a TTL. `claim.lua`
takes it, `settle.lua` drops it, `renew.lua` extends it. A run in `processing` without a lease
belongs to an attempt whose worker stopped heartbeating: the sweep recovers it.
"""

from __future__ import annotations

import dataclasses
import uuid

from worker.records import RunStatus, iso, ms, now
from worker.store import RunStore

SWEEP_BATCH = 500
"""Runs read from an index per round trip when the sweep walks it."""


@dataclasses.dataclass(frozen=True)
class Renewal:
    held: bool
    """False once another attempt holds the run (or the run ended): this attempt must stop."""
    cancel_requested: bool


class Leases:
    def __init__(self, store: RunStore) -> None:
        self.store = store
        self.keys = store.keys
        self.owner = uuid.uuid4().hex

    def renew(self, run_id: str, attempt: int) -> Renewal:
        """Extend `attempt`'s lease and record the heartbeat; say if cancellation was asked."""
        held, cancel = self.store.scripts.renew(
            keys=[self.keys.lease(run_id), self.keys.run(run_id)],
            args=[attempt, self.store.lease_ttl_ms, iso(now())],
        )
        return Renewal(held=bool(held), cancel_requested=bool(cancel))

    def expired(self) -> list[tuple[str, int]]:
        """(run id, attempt) of runs in `processing` whose lease has expired: their worker
        stopped heartbeating. Read together, so a newer attempt is never taken for the lost one."""
        found = []
        for run_ids in self.store.with_status(RunStatus.PROCESSING, SWEEP_BATCH):
            pipe = self.store.redis.pipeline(transaction=False)
            for run_id in run_ids:
                pipe.hget(self.keys.run(run_id), "attempt")
                pipe.exists(self.keys.lease(run_id))
            replies = pipe.execute()
            found += [
                (run_id, int(attempt))
                for run_id, attempt, alive in zip(run_ids, replies[::2], replies[1::2], strict=True)
                if attempt is not None and not alive
            ]
        return found

    def overdue(self, redispatch_after_s: float) -> list[tuple[str, str]]:
        """Open runs that need the sweep: (run id, why). Why is 'deadline' or 'queue-timeout'
        (fail it), or 'undispatched' (due long ago and not started: publish it again)."""
        now_ms = ms(now())
        found = []
        for run_ids in self.store.with_status(RunStatus.OPEN, SWEEP_BATCH):
            pipe = self.store.redis.pipeline(transaction=False)
            for run_id in run_ids:
                pipe.hmget(self.keys.run(run_id), ["deadlineMs", "queueDeadlineMs", "dueMs"])
            for run_id, limits in zip(run_ids, pipe.execute(), strict=True):
                why = overdue_reason(now_ms, limits, int(redispatch_after_s * 1000))
                if why:
                    found.append((run_id, why))
        return found

    def take_sweep_turn(self, ttl_s: float) -> bool:
        """True if this process sweeps now: one worker per `ttl_s`, whichever asks first."""
        lock = self.keys.sweep_lock
        return bool(self.store.redis.set(lock, self.owner, nx=True, px=int(ttl_s * 1000)))


def overdue_reason(now_ms: int, limits: list[str | None], redispatch_after_ms: int) -> str | None:
    """Why an open run with these [deadlineMs, queueDeadlineMs, dueMs] needs the sweep."""
    deadline, queue_deadline, due = (int(v) if v else None for v in limits)
    if deadline is not None and now_ms > deadline:
        return "deadline"
    if queue_deadline is not None and now_ms > queue_deadline:
        return "queue-timeout"
    if due is not None and now_ms > due + redispatch_after_ms:
        return "undispatched"
    return None
