"""The scripts' replies as typed values: each script's answer becomes a `Literal` (or a small
record) at the edge, never a bare string passed along."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Literal, TypeVar, get_args

from actionpool.actions.errors import SecretsUnreadableError
from actionpool.worker.store.keys import SECRETS_TTL_S
from actionpool.worker.store.ops import pairs
from actionpool.worker.store.records import Run, decode_run
from actionpool.worker.store.sealing import Sealer

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

HAS_SECRETS = "hasSecrets"
"""Run hash field, `1` when the run was created with secrets: a claim that finds them gone
(their TTL ran out before an attempt started) says so instead of running without them."""

EXPIRED = (
    "the run's secrets were dropped before this attempt started: they are kept until the "
    f"run's deadline (and a margin), {SECRETS_TTL_S // 86400} days at most"
)


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
    """What `claim` did: `run` and `secrets` (unsealed) are set when this attempt now holds
    the run; `unreadable` instead of `secrets` when they cannot be read (no key opens them, or
    they expired): the attempt must fail."""

    outcome: ClaimOutcome
    run: Run | None = None
    secrets: dict[str, str] = dataclasses.field(default_factory=dict)
    unreadable: SecretsUnreadableError | None = None

    @classmethod
    def of(cls, reply: list[Any], sealer: Sealer) -> Claim:
        outcome = literal(reply[0], ClaimOutcome)
        if outcome != "claimed":
            return cls(outcome)
        _, flat_fields, sealed = reply
        fields = pairs(flat_fields)
        run = decode_run(fields)
        if not sealed and fields.get(HAS_SECRETS) == "1":
            return cls(outcome, run, unreadable=SecretsUnreadableError(EXPIRED))
        try:
            return cls(outcome, run, sealer.unseal(sealed) if sealed else {})
        except SecretsUnreadableError as exc:
            return cls(outcome, run, unreadable=exc)


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
