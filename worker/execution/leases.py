"""Leases: which attempt holds a run, kept alive by heartbeats; and the recovery sweep's turn.

A lease is the run's `leaseUntilMs` while it is `processing`, for the attempt in its
`attempt` field (the fencing token): `claim.lua` takes it, `renew.lua` extends it,
`settle.lua` drops it. The run's entry in the store's `due` set is scored by the same time,
so the sweep finds a run whose worker stopped heartbeating without reading any other run.
"""

from __future__ import annotations

import uuid

from actionpool.worker.store.replies import Renewal
from actionpool.worker.store.store import RunStore


class Leases:
    def __init__(self, store: RunStore) -> None:
        self.store = store
        self.owner = uuid.uuid4().hex

    def renew(self, run_id: str, attempt: int) -> Renewal:
        """Extend `attempt`'s lease and record the heartbeat; say if cancellation was asked."""
        return self.store.renew(run_id, attempt)

    def take_sweep_turn(self, ttl_s: float) -> bool:
        """True if this process sweeps now: one worker per `ttl_s`, whichever asks first."""
        return self.store.take_turn(self.store.keys.sweep_lock, self.owner, int(ttl_s * 1000))
