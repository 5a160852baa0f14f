"""The retry of a run that ended (`RetryWrites.retry`, `retry.lua`): the same run reopened as
its next attempt, its checkpoints kept, with that attempt's message put on its queue in the
same step. What the reopened attempt carries is a `Reopening`; the script's answer a `Retry`."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any, Literal

from actionpool.worker.clock import iso
from actionpool.worker.store.changes import Message, StoreLimits
from actionpool.worker.store.keys import Keys
from actionpool.worker.store.ops import ScriptCall, pairs
from actionpool.worker.store.records import Run, RunStatus, decode_run
from actionpool.worker.store.replies import StatusWord, literal
from actionpool.worker.store.sealing import Sealer

RetryOutcome = Literal["retried", "replay", "missing", "stale", "secrets-required", StatusWord]


@dataclasses.dataclass(frozen=True)
class Reopening:
    """The next attempt of an ended run: its message, the run fields that change (its
    limits: `maxAttempts`, deadlines), when it may start and when the sweep must look at it,
    and the secrets sent again for it (kept `secrets_ttl_s`)."""

    message: Message
    fields: dict[str, str]
    ready_ms: int
    due_ms: int | None
    log: dict[str, Any]
    secrets: dict[str, str] = dataclasses.field(default_factory=dict)
    secrets_ttl_s: int = 0


@dataclasses.dataclass(frozen=True)
class Retry:
    """What `retry` did, and the run as it left it (None when there is no such run)."""

    outcome: RetryOutcome
    run: Run | None

    @classmethod
    def of(cls, reply: list[Any]) -> Retry:
        outcome, flat_fields, flat_attempts = reply
        fields = pairs(flat_fields)
        run = decode_run(fields, pairs(flat_attempts)) if fields else None
        return cls(literal(outcome, RetryOutcome), run)


class RetryWrites:
    keys: Keys
    limits: StoreLimits
    sealer: Sealer

    def retry(
        self, run: Run, reopening: Reopening, now: datetime, *, token: str, key_digest: str | None
    ) -> ScriptCall[Retry]:
        """Reopen `run` (failed or cancelled, as read) as its next attempt; `token` lets a
        resend of this same call find its own retry, `key_digest` names the caller's
        idempotency key (kept for the idempotency retention)."""
        k, secrets = self.keys, reopening.secrets
        return ScriptCall(
            "retry",
            keys=[
                k.run(run.id),
                k.attempts(run.id),
                k.events(run.id),
                k.event_seq(run.id),
                k.checkpoints(run.id),
                k.secrets(run.id),
                k.metrics,
                k.due,
                k.waiting(run.queue),
                k.queues,
                reopening.message.key,
                k.index("status", RunStatus.OPEN),
                k.index("status", run.status),
                k.forgettable,
                k.idempotency(key_digest) if key_digest else k.run(run.id),
            ],
            args=[
                run.id,
                run.attempt,
                run.status,
                token,
                "1" if key_digest else "0",
                self.limits.idempotency_retention_s,
                iso(now),
                self.limits.events_max_per_run,
                json.dumps(reopening.log),
                json.dumps(reopening.fields),
                "" if reopening.due_ms is None else reopening.due_ms,
                reopening.ready_ms,
                reopening.message.queue,
                reopening.message.payload,
                self.sealer.seal(secrets) if secrets else "",
                reopening.secrets_ttl_s,
            ],
            decode=Retry.of,
        )
