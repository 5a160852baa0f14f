"""`RunStore`: the store's synchronous face, for the workers (their tasks, heartbeats and
sweep). Every operation is built by `worker.store.writes` or `worker.store.reads` and run
here; `worker.store.aio.AsyncRunStore` runs the same operations for the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar, cast

from redis import Redis

from actionpool.actions.errors import RunNotFoundError
from actionpool.worker.clock import SYSTEM_CLOCK, Clock
from actionpool.worker.settings import PoolSettings
from actionpool.worker.store.changes import Message, Settlement, StoreLimits
from actionpool.worker.store.connection import connect
from actionpool.worker.store.keys import Keys
from actionpool.worker.store.ops import Commands, Op
from actionpool.worker.store.reads import DueRun, Reads
from actionpool.worker.store.records import Attempt, ErrorInfo, Run, RunEvent
from actionpool.worker.store.replies import (
    CancelOutcome,
    Claim,
    ExpireOutcome,
    RedispatchOutcome,
    Renewal,
    SettleOutcome,
)
from actionpool.worker.store.scripts import register_sync
from actionpool.worker.store.sealing import Sealer
from actionpool.worker.store.writes import Writes

T = TypeVar("T")


def limits_of(settings: PoolSettings) -> StoreLimits:
    return StoreLimits(
        idempotency_retention_s=settings.idempotency_retention_s,
        run_retention_s=settings.run_retention_s,
        events_max_per_run=settings.events_max_per_run,
        lease_ttl_ms=int(settings.lease_ttl_s * 1000),
    )


class RunStore:
    """Runs, attempts, events, checkpoints and leases in Redis, for synchronous code."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        limits: StoreLimits,
        sealer: Sealer,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.limits = limits
        self.clock = clock
        self.writes = Writes(keys, limits, sealer)
        self.reads = Reads(keys)
        self.scripts = register_sync(redis)

    @classmethod
    def from_settings(cls, settings: PoolSettings, clock: Clock = SYSTEM_CLOCK) -> RunStore:
        """The store of a worker (refuses to build without a secrets key: `SecretsKeyError`)."""
        sealer = Sealer.from_settings(settings)
        return cls(connect(settings), Keys(settings.key_prefix), limits_of(settings), sealer, clock)

    def run(self, op: Op[T]) -> T:
        """Send one operation and decode its reply."""
        if not isinstance(op, Commands):
            return op.decode(self.scripts[op.script](keys=op.keys, args=op.args))
        if len(op.commands) == 1:
            return op.decode([cast(Any, self.redis).execute_command(*op.commands[0])])
        pipe = self.redis.pipeline(transaction=op.transaction)
        for command in op.commands:
            cast(Any, pipe).execute_command(*command)
        return op.decode(pipe.execute())

    def now(self) -> datetime:
        return self.clock.now()

    def get(self, run_id: str) -> Run:
        run = self.run(self.reads.run(run_id))
        if run is None:
            raise RunNotFoundError(f"No run with id {run_id!r}")
        return run

    def events(self, run_id: str, *, after: int = 0, limit: int = 1000) -> list[RunEvent]:
        return self.run(self.reads.events(run_id, after=after, limit=limit)).events

    def claim(self, run_id: str, queue: str, attempt: Attempt, token: str) -> Claim:
        return self.run(self.writes.claim(run_id, queue, attempt, token, self.now()))

    def renew(self, run_id: str, attempt: int) -> Renewal:
        return self.run(self.writes.renew(run_id, attempt, self.now()))

    def settle(
        self, run: Run, settlement: Settlement, *, expired_by: datetime | None = None
    ) -> SettleOutcome:
        return self.run(self.writes.settle(run, settlement, self.now(), expired_by=expired_by))

    def append_event(self, run_id: str, attempt: int, event_type: str, body: dict[str, Any]) -> int:
        return self.run(self.writes.append_event(run_id, attempt, event_type, body, self.now()))

    def load_checkpoint(self, run_id: str, checkpoint: str) -> str | None:
        return self.run(self.reads.checkpoint(run_id, checkpoint))

    def save_checkpoint(self, run_id: str, attempt: int, checkpoint: str, value: str) -> bool:
        return self.run(self.writes.save_checkpoint(run_id, attempt, checkpoint, value))

    def cancel_requested(self, run_id: str) -> bool:
        return self.run(self.reads.cancel_requested(run_id))

    def cancel(self, run_id: str, queue: str) -> CancelOutcome:
        return self.run(self.writes.cancel(run_id, queue, self.now())).outcome

    def expire(self, run_id: str, queue: str, error: ErrorInfo) -> ExpireOutcome:
        return self.run(self.writes.expire(run_id, queue, error, self.now()))

    def redispatch(
        self, run_id: str, queue: str, seen_ms: int, message: Message | None
    ) -> RedispatchOutcome:
        return self.run(self.writes.redispatch(run_id, queue, seen_ms, message))

    def rescore(self, run_id: str) -> int:
        return self.run(self.writes.rescore(run_id))

    def count(self, name: str, labels: list[str], by: int = 1) -> None:
        self.run(self.writes.count(name, labels, by))

    def due(self, limit: int) -> list[DueRun]:
        """Up to `limit` runs whose due time has come, as they are now."""
        run_ids = self.run(self.reads.due(self.now(), limit))
        return self.run(self.reads.due_runs(run_ids)) if run_ids else []

    def take_turn(self, key: str, owner: str, ttl_ms: int) -> bool:
        """True if `owner` holds `key` now (for `ttl_ms`), whoever asked first."""
        return bool(self.redis.set(key, owner, nx=True, px=ttl_ms))

    def close(self) -> None:
        self.redis.close()
