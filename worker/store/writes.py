"""The state changes of the store: each is one Lua script call, built here once (its keys in
the order the script names them, its arguments) for either face of the store."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from actionpool.worker.clock import iso, ms
from actionpool.worker.store.changes import (
    Message,
    Settlement,
    StoreLimits,
    open_due_ms,
    run_ms_fields,
    secrets_ttl_s,
)
from actionpool.worker.store.indexes import run_index_keys
from actionpool.worker.store.keys import ABORTED_TTL_S, Keys
from actionpool.worker.store.ops import ScriptCall, flat
from actionpool.worker.store.records import (
    CANCELLED_BEFORE_START,
    Attempt,
    Run,
    RunStatus,
    encode_run,
)
from actionpool.worker.store.recovery import RecoveryWrites
from actionpool.worker.store.replies import (
    HAS_SECRETS,
    Cancellation,
    Claim,
    Created,
    Renewal,
    SettleOutcome,
    literal,
)
from actionpool.worker.store.retries import RetryWrites
from actionpool.worker.store.sealing import Sealer

DEADLINES = ("deadlineMs", "queueDeadlineMs")


def optional(value: int | None) -> str | int:
    return "" if value is None else value


class Writes(RecoveryWrites, RetryWrites):
    """Script calls for one pool's keys and limits; run secrets go in and come out sealed
    (the sweep's own changes: `RecoveryWrites`; the retry of an ended run: `RetryWrites`)."""

    def __init__(self, keys: Keys, limits: StoreLimits, sealer: Sealer) -> None:
        super().__init__(keys, limits)
        self.sealer = sealer

    def create(
        self,
        run: Run,
        message: Message,
        *,
        fingerprint: str,
        key_digest: str | None,
        secrets: dict[str, str],
    ) -> ScriptCall[Created]:
        """Record `run` and put `message` (its attempt 1) on its queue, unless its
        idempotency key already names a run; its `secrets` are kept sealed while it can run."""
        created_ms, times = ms(run.created_at), run_ms_fields(run)
        fields = {**encode_run(run), **times, **({HAS_SECRETS: "1"} if secrets else {})}
        due_ms = open_due_ms(*(int(times[f]) if f in times else None for f in DEADLINES))
        return ScriptCall(
            "create",
            keys=self._create_keys(run, message, key_digest),
            args=[
                run.id,
                fingerprint,
                created_ms,
                self.limits.idempotency_retention_s,
                "1" if key_digest else "0",
                self.sealer.seal(secrets) if secrets else "",
                secrets_ttl_s(run),
                json.dumps(fields),
                optional(due_ms),
                created_ms,
                message.queue,
                message.payload,
            ],
            decode=Created.of,
        )

    def _create_keys(self, run: Run, message: Message, key_digest: str | None) -> list[str]:
        k = self.keys
        return [
            k.run(run.id),
            k.idempotency(key_digest) if key_digest else k.run(run.id),
            k.secrets(run.id),
            k.index("status", RunStatus.OPEN),
            k.metrics,
            k.due,
            k.waiting(run.queue),
            k.queues,
            message.key,
            k.aborted(run.id),
            *run_index_keys(k, run),
        ]

    def resolve(self, run: Run, *, fingerprint: str, key_digest: str | None) -> ScriptCall[Created]:
        """The answer to a create of `run` whose reply was lost: carried out, a replay of the
        run its key names, or given up for good (it never runs)."""
        k = self.keys
        return ScriptCall(
            "resolve",
            keys=[
                k.run(run.id),
                k.aborted(run.id),
                k.idempotency(key_digest) if key_digest else k.run(run.id),
            ],
            args=[run.id, fingerprint, ABORTED_TTL_S, "1" if key_digest else "0"],
            decode=Created.of,
        )

    def claim(
        self, run_id: str, queue: str, attempt: Attempt, token: str, now: datetime
    ) -> ScriptCall[Claim]:
        """Move an open run to processing for `attempt` (delivered from `queue`), with its
        lease; `token` lets a resend of this same call find its own claim. The claim carries
        the run's secrets, unsealed."""
        k = self.keys
        log = {"message": f"Attempt {attempt.number} started on {attempt.worker}"}
        return ScriptCall(
            "claim",
            keys=[
                k.run(run_id),
                k.attempts(run_id),
                k.index("status", RunStatus.OPEN),
                k.index("status", RunStatus.PROCESSING),
                k.events(run_id),
                k.event_seq(run_id),
                k.secrets(run_id),
                k.metrics,
                k.due,
                k.waiting(queue),
            ],
            args=[
                run_id,
                attempt.number,
                iso(now),
                attempt.model_dump_json(by_alias=True),
                json.dumps(log),
                self.limits.events_max_per_run,
                self.limits.lease_ttl_ms,
                ms(now),
                token,
            ],
            decode=lambda reply: Claim.of(reply, self.sealer),
        )

    def renew(self, run_id: str, attempt: int, now: datetime) -> ScriptCall[Renewal]:
        return ScriptCall(
            "renew",
            keys=[self.keys.run(run_id), self.keys.due],
            args=[run_id, attempt, self.limits.lease_ttl_ms, ms(now), iso(now)],
            decode=Renewal.of,
        )

    def settle(
        self,
        run: Run,
        settlement: Settlement,
        now: datetime,
        *,
        expired_by: datetime | None = None,
    ) -> ScriptCall[SettleOutcome]:
        """End the attempt holding `run`; with `expired_by` (the sweep), only if its lease
        ran out before that moment."""
        terminal, nxt = settlement.status.is_terminal, settlement.next
        return ScriptCall(
            "settle",
            keys=self._settle_keys(run, settlement),
            args=[
                run.id,
                settlement.attempt.number,
                settlement.status,
                settlement.attempt.model_dump_json(by_alias=True),
                settlement.event_type,
                json.dumps(settlement.event_body),
                iso(now),
                self.limits.events_max_per_run,
                self.limits.record_ttl_s if terminal else "",
                self.limits.forget_at_ms(now) if terminal else "",
                "" if expired_by is None else ms(expired_by),
                optional(nxt.due_ms) if nxt else "",
                nxt.ready_ms if nxt else "",
                nxt.message.payload if nxt else "",
                *flat(settlement.fields),
            ],
            decode=lambda reply: literal(reply, SettleOutcome),
        )

    def _settle_keys(self, run: Run, settlement: Settlement) -> list[str]:
        k, nxt = self.keys, settlement.next
        return [
            k.run(run.id),
            k.attempts(run.id),
            k.index("status", RunStatus.PROCESSING),
            k.index("status", settlement.status),
            k.events(run.id),
            k.event_seq(run.id),
            k.secrets(run.id),
            k.checkpoints(run.id),
            k.metrics,
            k.due,
            k.waiting(run.queue),
            nxt.message.key if nxt else k.queue(run.queue),
            k.forgettable,
        ]

    def append_event(
        self, run_id: str, attempt: int, event_type: str, body: dict[str, Any], now: datetime
    ) -> ScriptCall[int]:
        """Append an event of a running attempt; its id, or 0 if the attempt lost the run."""
        k = self.keys
        return ScriptCall(
            "append_event",
            keys=[k.run(run_id), k.events(run_id), k.event_seq(run_id)],
            args=[attempt, event_type, json.dumps(body), iso(now), self.limits.events_max_per_run],
            decode=int,
        )

    def save_checkpoint(
        self, run_id: str, attempt: int, checkpoint: str, value_json: str
    ) -> ScriptCall[bool]:
        """Save a checkpoint value; False if the attempt no longer holds the run."""
        return ScriptCall(
            "checkpoint",
            keys=[self.keys.run(run_id), self.keys.checkpoints(run_id)],
            args=[attempt, checkpoint, value_json],
            decode=bool,
        )

    def cancel(self, run_id: str, queue: str, now: datetime) -> ScriptCall[Cancellation]:
        return ScriptCall(
            "cancel",
            keys=self._open_run_keys(run_id, queue, RunStatus.CANCELLED),
            args=[
                run_id,
                iso(now),
                self.limits.events_max_per_run,
                self.limits.record_ttl_s,
                json.dumps(CANCELLED_BEFORE_START),
                json.dumps({"message": "Cancellation requested", "level": "warning"}),
                self.limits.forget_at_ms(now),
            ],
            decode=Cancellation.of,
        )

    def count(self, name: str, labels: list[str], by: int = 1) -> ScriptCall[None]:
        """Add `by` to a pool counter (`worker.telemetry.metrics`)."""
        return ScriptCall(
            "count", keys=[self.keys.metrics], args=[name, by, *labels], decode=lambda _: None
        )
