"""The scripts' replies as typed values: each script's answer becomes a `Literal` (or a small
record) at the edge, never a bare string passed along."""

from __future__ import annotations

import dataclasses
import functools
import json
from typing import Any, Literal, TypeVar, get_args

from actionpool.worker.store.ops import pairs
from actionpool.worker.store.records import Run, decode_run

L = TypeVar("L", bound=str)

StatusWord = Literal["open", "processing", "completed", "failed", "cancelled"]
"""A run status, as a script returns it when the run is not in the state it needed."""

CreateOutcome = Literal["created", "exists", "replay", "aborted"]
ClaimOutcome = Literal["claimed", "missing", "stale", "deadline", "queue-timeout", StatusWord]
Expiry = Literal["deadline", "queue-timeout"]
EXPIRIES: tuple[Expiry, ...] = get_args(Expiry)
SettleOutcome = Literal["settled", "stale", "alive"]
CancelOutcome = Literal["cancelled", "requested", "missing", StatusWord]
ExpireOutcome = Literal["expired", "not-due", "missing", StatusWord]
RedispatchOutcome = Literal["redispatched", "moved", "missing", StatusWord]


class UnexpectedReplyError(RuntimeError):
    """A script answered something it never answers: the scripts and the code disagree."""


def literal(value: Any, allowed: Any) -> Any:
    """`value` if it is one of the `Literal` type's values, else an `UnexpectedReplyError`."""
    if value not in _values(allowed):
        raise UnexpectedReplyError(f"unexpected script reply {value!r}")
    return value


@functools.cache
def _values(allowed: Any) -> frozenset[str]:
    return frozenset(get_args(allowed))  # nested Literals come flattened


@dataclasses.dataclass(frozen=True)
class Created:
    """What `create` did: recorded the run (or had, on a resend), found the run holding its
    idempotency key, or refused a run id the API had given up."""

    outcome: CreateOutcome
    run_id: str
    fingerprint: str

    @property
    def created(self) -> bool:
        return self.outcome in ("created", "exists")

    @classmethod
    def of(cls, reply: list[Any]) -> Created:
        return cls(literal(reply[0], CreateOutcome), str(reply[1]), str(reply[2]))


@dataclasses.dataclass(frozen=True)
class Claim:
    """What `claim` did: `run` and `secrets` are set when this attempt now holds the run."""

    outcome: ClaimOutcome
    run: Run | None = None
    secrets: dict[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, reply: list[Any]) -> Claim:
        outcome = literal(reply[0], ClaimOutcome)
        if outcome != "claimed":
            return cls(outcome)
        _, flat_fields, secrets_json = reply
        secrets = dict(json.loads(secrets_json)) if secrets_json else {}
        return cls(outcome, decode_run(pairs(flat_fields)), secrets)


@dataclasses.dataclass(frozen=True)
class Cancellation:
    """What `cancel` did, and the run as it left it (None when there is no such run)."""

    outcome: CancelOutcome
    run: Run | None

    @classmethod
    def of(cls, reply: list[Any]) -> Cancellation:
        outcome, flat_fields, flat_attempts = reply
        fields = pairs(flat_fields)
        run = decode_run(fields, pairs(flat_attempts)) if fields else None
        return cls(literal(outcome, CancelOutcome), run)


@dataclasses.dataclass(frozen=True)
class Renewal:
    held: bool
    """False once another attempt holds the run, the run ended, or the lease expired."""
    cancel_requested: bool

    @classmethod
    def of(cls, reply: list[Any]) -> Renewal:
        state = literal(reply[0], Literal["held", "lost"])
        return cls(held=state == "held", cancel_requested=bool(reply[1]))
