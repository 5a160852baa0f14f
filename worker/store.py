"""`RunStore`: runs, attempts, events, checkpoints and secrets in Redis (the source of truth)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast

from redis import Redis

from actions.errors import RunNotFoundError
from worker.connection import connect
from worker.keys import SECRETS_TTL_S, Keys
from worker.policy import redispatch_wait_ms
from worker.records import (
    CANCELLED_BEFORE_START,
    Attempt,
    Claim,
    Created,
    ErrorInfo,
    Run,
    RunEvent,
    RunStatus,
    Settlement,
    deadline_fields,
    decode_event,
    decode_run,
    encode_run,
    iso,
    ms,
    now,
)
from worker.scripts import ScriptCall, Scripts
from worker.settings import PoolSettings


class RunStore:
    """Synchronous access to the run records; every state change is one Lua script."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        *,
        idempotency_retention_s: int,
        run_retention_s: int,
        events_max_per_run: int,
        lease_ttl_s: float,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.scripts = Scripts.register(redis)
        self.idempotency_retention_s = idempotency_retention_s
        self.run_retention_s = run_retention_s
        self.events_max_per_run = events_max_per_run
        self.lease_ttl_ms = int(lease_ttl_s * 1000)

    @classmethod
    def from_settings(cls, settings: PoolSettings) -> RunStore:
        return cls(
            connect(settings),
            Keys(settings.key_prefix),
            idempotency_retention_s=settings.idempotency_retention_s,
            run_retention_s=settings.run_retention_s,
            events_max_per_run=settings.events_max_per_run,
            lease_ttl_s=settings.lease_ttl_s,
        )

    def create_call(
        self, run: Run, *, fingerprint: str, key_digest: str | None, secrets: dict[str, str]
    ) -> ScriptCall:
        """The `create` script call that records `run` unless its key already names a run."""
        keys = self.keys
        created_ms = ms(run.created_at)
        return ScriptCall(
            keys=[
                keys.run(run.id),
                keys.idempotency(key_digest) if key_digest else keys.run(run.id),
                keys.secrets(run.id),
                keys.index("status", RunStatus.OPEN),
                keys.metrics,
                *keys.run_indexes(run.action_id, run.context.owner, run.context.template_ref),
            ],
            args=[
                run.id,
                fingerprint,
                created_ms,
                self.idempotency_retention_s,
                "1" if key_digest else "0",
                json.dumps(secrets) if secrets else "",
                SECRETS_TTL_S,
                created_ms - self.run_retention_s * 1000,
                json.dumps({**encode_run(run), **deadline_fields(run)}),
            ],
        )

    def discard_call(self, run: Run, key_digest: str | None) -> ScriptCall:
        """The `discard` script call that removes a run no worker has touched."""
        keys = self.keys
        return ScriptCall(
            keys=[
                keys.run(run.id),
                keys.idempotency(key_digest) if key_digest else keys.run(run.id),
                keys.secrets(run.id),
                keys.index("status", RunStatus.OPEN),
                keys.metrics,
                *keys.run_indexes(run.action_id, run.context.owner, run.context.template_ref),
            ],
            args=[run.id],
        )

    def create(
        self, run: Run, *, fingerprint: str, key_digest: str | None, secrets: dict[str, str]
    ) -> Created:
        """Record a new run atomically, unless its idempotency key already names a run."""
        call = self.create_call(
            run, fingerprint=fingerprint, key_digest=key_digest, secrets=secrets
        )
        return Created.of(self.scripts.create(keys=call.keys, args=call.args))

    def discard(self, run: Run, key_digest: str | None) -> bool:
        """Remove a run no worker has touched (its dispatch failed)."""
        call = self.discard_call(run, key_digest)
        return bool(self.scripts.discard(keys=call.keys, args=call.args))

    def get(self, run_id: str) -> Run:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hgetall(self.keys.run(run_id))
        pipe.hgetall(self.keys.attempts(run_id))
        fields, attempts = pipe.execute()
        if not fields:
            raise RunNotFoundError(f"No run with id {run_id!r}")
        return decode_run(fields, attempts)

    def events(self, run_id: str, *, after: int = 0, limit: int = 1000) -> list[RunEvent]:
        entries = self.redis.xrange(self.keys.events(run_id), min=f"0-{after + 1}", count=limit)
        return [
            decode_event(run_id, entry_id, fields) for entry_id, fields in cast(list[Any], entries)
        ]

    def with_status(self, status: RunStatus, batch: int) -> Iterator[list[str]]:
        """The ids of every run with this status, oldest first, `batch` at a time."""
        start = 0
        while True:
            page = self.redis.zrange(self.keys.index("status", status), start, start + batch - 1)
            run_ids = [str(run_id) for run_id in cast(list[str], page)]
            if run_ids:
                yield run_ids
            if len(run_ids) < batch:
                return
            start += batch

    def claim(self, run_id: str, attempt: Attempt) -> Claim:
        """Move an open run to processing for `attempt`; the run and its secrets, or why not."""
        keys = self.keys
        reply = self.scripts.claim(
            keys=[
                keys.run(run_id),
                keys.attempts(run_id),
                keys.index("status", RunStatus.OPEN),
                keys.index("status", RunStatus.PROCESSING),
                keys.events(run_id),
                keys.event_seq(run_id),
                keys.secrets(run_id),
                keys.lease(run_id),
                keys.metrics,
            ],
            args=[
                run_id,
                attempt.number,
                iso(attempt.started_at),
                attempt.model_dump_json(),
                json.dumps({"message": f"Attempt {attempt.number} started on {attempt.worker}"}),
                self.events_max_per_run,
                self.lease_ttl_ms,
                ms(now()),
            ],
        )
        if not isinstance(reply, list):
            return Claim(outcome=reply)
        _, flat, secrets_json = reply
        fields = dict(zip(flat[::2], flat[1::2], strict=True))
        secrets = dict(json.loads(secrets_json)) if secrets_json else {}
        return Claim(outcome="claimed", run=decode_run(fields), secrets=secrets)

    def settle(self, run_id: str, settlement: Settlement) -> bool:
        """End the processing attempt; False if that attempt no longer holds the run."""
        keys = self.keys
        terminal = settlement.status.is_terminal
        fields = [item for pair in settlement.fields.items() for item in pair]
        reply = self.scripts.settle(
            keys=[
                keys.run(run_id),
                keys.attempts(run_id),
                keys.index("status", RunStatus.PROCESSING),
                keys.index("status", settlement.status),
                keys.events(run_id),
                keys.event_seq(run_id),
                keys.secrets(run_id),
                keys.checkpoints(run_id),
                keys.lease(run_id),
                keys.metrics,
            ],
            args=[
                run_id,
                settlement.attempt.number,
                settlement.status,
                settlement.attempt.model_dump_json(),
                settlement.event_type,
                json.dumps(settlement.event_body),
                iso(now()),
                self.events_max_per_run,
                self.run_retention_s if terminal else "",
                ms(now()) - self.run_retention_s * 1000,
                *fields,
            ],
        )
        return bool(reply)

    def append_event(self, run_id: str, event_type: str, body: dict[str, Any]) -> int:
        reply: int = self.scripts.append_event(
            keys=[self.keys.events(run_id), self.keys.event_seq(run_id)],
            args=[event_type, json.dumps(body), iso(now()), self.events_max_per_run],
        )
        return reply

    def secrets(self, run_id: str) -> dict[str, str]:
        raw = self.redis.get(self.keys.secrets(run_id))
        return dict(json.loads(cast(str, raw))) if raw else {}

    def mark_redispatched(self, run_id: str, redispatch_after_s: float) -> int:
        """The run's next attempt was published again now. The sweep waits twice as long
        before each further copy (a long backlog is not a lost message); returns the count."""
        count = int(self.redis.hincrby(self.keys.run(run_id), "redispatches", 1))  # type: ignore[arg-type]
        wait_ms = redispatch_wait_ms(count, redispatch_after_s)
        due_ms = ms(now()) + wait_ms - int(redispatch_after_s * 1000)
        self.redis.hset(self.keys.run(run_id), "dueMs", str(due_ms))
        return count

    def cancel_requested(self, run_id: str) -> bool:
        return bool(self.redis.hexists(self.keys.run(run_id), "cancelRequestedAt"))

    def cancel(self, run_id: str) -> str:
        """Cancel a run: 'cancelled' (it was open, or already cancelled), 'requested' (it is
        processing), 'missing', or the status it had already ended with."""
        call = self.cancel_call(run_id)
        reply: str = self.scripts.cancel(keys=call.keys, args=call.args)
        return reply

    def expire(self, run_id: str, error: ErrorInfo) -> str:
        """Fail an open run past its queue timeout or deadline; 'expired' or why not."""
        body = {
            "message": f"Run completed with status: failed ({error.name})",
            "status": RunStatus.FAILED,
            "error": error.model_dump(),
        }
        reply: str = self.scripts.expire(
            keys=self._open_run_keys(run_id, RunStatus.FAILED),
            args=[
                run_id,
                iso(now()),
                self.events_max_per_run,
                self.run_retention_s,
                json.dumps(body),
                error.model_dump_json(),
            ],
        )
        return reply

    def _open_run_keys(self, run_id: str, target: RunStatus) -> list[str]:
        keys = self.keys
        return [
            keys.run(run_id),
            keys.index("status", RunStatus.OPEN),
            keys.index("status", target),
            keys.events(run_id),
            keys.event_seq(run_id),
            keys.secrets(run_id),
            keys.attempts(run_id),
            keys.checkpoints(run_id),
            keys.metrics,
        ]

    def count_call(self, name: str, labels: list[str], by: int = 1) -> ScriptCall:
        """The `count` script call adding `by` to a pool counter (`worker/metrics.py`)."""
        return ScriptCall(keys=[self.keys.metrics], args=[name, str(by), *labels])

    def count(self, name: str, labels: list[str], by: int = 1) -> None:
        call = self.count_call(name, labels, by)
        self.scripts.count(keys=call.keys, args=call.args)

    def cancel_call(self, run_id: str) -> ScriptCall:
        return ScriptCall(
            keys=self._open_run_keys(run_id, RunStatus.CANCELLED),
            args=[
                run_id,
                iso(now()),
                self.events_max_per_run,
                self.run_retention_s,
                json.dumps(CANCELLED_BEFORE_START),
                json.dumps({"message": "Cancellation requested", "level": "warning"}),
            ],
        )
