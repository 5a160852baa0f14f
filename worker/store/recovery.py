"""The sweep's state changes (`RecoveryWrites`): fail an open run past its limits, put a lost
message on its queue again, move a run within the sweep's sets. Each is one Lua script call
(or one command), built here for either face of the store."""

from __future__ import annotations

import json
from datetime import datetime

from actionpool.worker.clock import iso, ms
from actionpool.worker.store.changes import Message, StoreLimits
from actionpool.worker.store.indexes import IndexedRun
from actionpool.worker.store.keys import Keys
from actionpool.worker.store.ops import Commands, ScriptCall
from actionpool.worker.store.records import ErrorInfo, RunStatus
from actionpool.worker.store.replies import ExpireOutcome, RedispatchOutcome, literal


class RecoveryWrites:
    def __init__(self, keys: Keys, limits: StoreLimits) -> None:
        self.keys = keys
        self.limits = limits

    def expire(
        self, run_id: str, queue: str, error: ErrorInfo, now: datetime
    ) -> ScriptCall[ExpireOutcome]:
        """Fail an open run past its queue timeout or deadline."""
        body = {
            "message": f"Run completed with status: failed ({error.name})",
            "status": RunStatus.FAILED,
            "error": error.model_dump(),
        }
        return ScriptCall(
            "expire",
            keys=self._open_run_keys(run_id, queue, RunStatus.FAILED),
            args=[
                run_id,
                iso(now),
                self.limits.events_max_per_run,
                self.limits.record_ttl_s,
                json.dumps(body),
                error.model_dump_json(),
                ms(now),
                self.limits.forget_at_ms(now),
            ],
            decode=lambda reply: literal(reply, ExpireOutcome),
        )

    def _open_run_keys(self, run_id: str, queue: str, target: RunStatus) -> list[str]:
        k = self.keys
        return [
            k.run(run_id),
            k.index("status", RunStatus.OPEN),
            k.index("status", target),
            k.events(run_id),
            k.event_seq(run_id),
            k.secrets(run_id),
            k.attempts(run_id),
            k.checkpoints(run_id),
            k.metrics,
            k.due,
            k.waiting(queue),
            k.forgettable,
        ]

    def forget(self, run: IndexedRun, now: datetime) -> ScriptCall[bool]:
        """Delete a finished run whose retention has ended, and every index entry of it
        (False: it is not due, or was retried meanwhile)."""
        k, run_id = self.keys, run.run_id
        return ScriptCall(
            "forget",
            keys=[
                k.forgettable,
                k.run(run_id),
                k.attempts(run_id),
                k.events(run_id),
                k.event_seq(run_id),
                k.checkpoints(run_id),
                *run.index_keys(k),
            ],
            args=[run_id, ms(now)],
            decode=bool,
        )

    def redispatch(
        self, run_id: str, queue: str, seen_ms: int, message: Message | None
    ) -> ScriptCall[RedispatchOutcome]:
        """Put `message`, a copy of an open run's next attempt, on its queue if the sweep's
        view of the run (`seen_ms`, its waiting score) is still true; without a message (the
        run was no longer open), only drop a run that is not open from the waiting set."""
        k = self.keys
        return ScriptCall(
            "redispatch",
            keys=[
                k.run(run_id),
                k.waiting(queue),
                message.key if message else k.queue(queue),
                k.metrics,
            ],
            args=[
                run_id,
                seen_ms,
                message.pushed_ms if message else 0,
                message.payload if message else "",
            ],
            decode=lambda reply: literal(reply, RedispatchOutcome),
        )

    def rescore(self, run_id: str) -> ScriptCall[int]:
        """Put a run back at its true due time (0: it needs the sweep no more)."""
        return ScriptCall(
            "rescore", keys=[self.keys.run(run_id), self.keys.due], args=[run_id], decode=int
        )

    def defer(self, sorted_set: str, run_id: str, until_ms: int) -> Commands[None]:
        """Move a run the sweep could not handle later in one of its sets (only if it is
        still there), so it does not hold the head of the set for every later pass."""
        command = ("ZADD", sorted_set, "XX", until_ms, run_id)
        return Commands([command], lambda _: None, transaction=False)
