"""What a state change of the store carries: the message it puts on a queue, the next
attempt of a retry, how an attempt ends, and the store's limits; and the run's times in the
form the scripts compare (pure functions)."""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime
from typing import Any

from actionpool.worker.clock import ms
from actionpool.worker.store.keys import RECORD_GRACE_S, SECRETS_DEADLINE_MARGIN_S, SECRETS_TTL_S
from actionpool.worker.store.records import Attempt, Run, RunStatus


@dataclasses.dataclass(frozen=True)
class StoreLimits:
    """How long the store keeps things, and how much."""

    idempotency_retention_s: int
    run_retention_s: int
    events_max_per_run: int
    lease_ttl_ms: int

    @property
    def record_ttl_s(self) -> int:
        """The TTL of a finished run's records (the sweep forgets the run before it)."""
        return self.run_retention_s + RECORD_GRACE_S

    def forget_at_ms(self, finished: datetime) -> int:
        """When the sweep forgets a run that finished at `finished`."""
        return ms(finished) + self.run_retention_s * 1000


@dataclasses.dataclass(frozen=True)
class Message:
    """A broker message put on its queue in the same step as the state change it belongs to
    (`worker.broker.envelope` builds it with Celery's and kombu's code): the list `key` kombu
    pushes it onto (`Keys.queue` names the same list), and the `payload` kombu would push."""

    queue: str
    key: str
    payload: str
    pushed_ms: int


@dataclasses.dataclass(frozen=True)
class NextAttempt:
    """The attempt a retry puts on the queue: its message, when it may start (`ready_ms`),
    and when the sweep must look at the run again (`due_ms`: its queue timeout or deadline)."""

    message: Message
    ready_ms: int
    due_ms: int | None


@dataclasses.dataclass(frozen=True)
class Settlement:
    """How an attempt ends: the run's next status, the fields to set, the event to append,
    and for a retry the next attempt."""

    status: RunStatus
    attempt: Attempt
    fields: dict[str, str] = dataclasses.field(default_factory=dict)
    event_type: str = ""
    event_body: dict[str, Any] = dataclasses.field(default_factory=dict)
    next: NextAttempt | None = None


def run_ms_fields(run: Run) -> dict[str, str]:
    """A new run's times in epoch ms, the form the scripts compare: created, ready (its first
    attempt may start), and its deadlines."""
    created_ms = str(ms(run.created_at))
    fields = {"createdMs": created_ms, "readyMs": created_ms}
    if run.deadline_at:
        fields["deadlineMs"] = str(ms(run.deadline_at))
    if run.queue_deadline_at:
        fields["queueDeadlineMs"] = str(ms(run.queue_deadline_at))
    return fields


def open_due_ms(deadline_ms: int | None, queue_deadline_ms: int | None) -> int | None:
    """When the sweep must look at an open run: its earliest limit (None: never)."""
    limits = [v for v in (deadline_ms, queue_deadline_ms) if v is not None]
    return min(limits) if limits else None


def secrets_ttl_s(run: Run) -> int:
    """How long a new run's secrets are kept at most (`secrets_ttl_until`)."""
    return secrets_ttl_until(run.created_at, run.deadline_at)


def secrets_ttl_until(now: datetime, deadline_at: datetime | None) -> int:
    """How long secrets given `now` are kept at most: until the run's deadline (and a
    margin), after which no attempt of it starts, and never longer than `SECRETS_TTL_S`."""
    if deadline_at is None:
        return SECRETS_TTL_S
    until_deadline_s = math.ceil((deadline_at - now).total_seconds())
    return max(1, min(SECRETS_TTL_S, until_deadline_s + SECRETS_DEADLINE_MARGIN_S))
