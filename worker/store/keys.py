"""Every Redis key and TTL of the pool, in one place.

All keys start with the configured prefix (default `actionpool:`), the broker's included
(Celery's `global_keyprefix`), so one Redis can hold several pools side by side. The scripts
touch many of these keys in one step, so a pool needs a single-shard Redis (no Redis Cluster,
which kombu does not support either): see docs/operations.md.
"""

from __future__ import annotations

import dataclasses

SECRETS_TTL_S = 7 * 24 * 3600
"""Secrets of a run that never finishes are dropped after this long at most."""

SECRETS_DEADLINE_MARGIN_S = 60
"""Secrets of a run with a deadline are dropped this long after it (no attempt starts after
the deadline; the margin covers clocks that disagree)."""

RECORD_GRACE_S = 24 * 3600
"""A finished run's records carry a TTL this much longer than the retention: the sweep
forgets the run (records and index entries, `forget.lua`) when the retention ends, and the TTL
only catches what a pool with no worker left behind."""

ABORTED_TTL_S = 24 * 3600
"""How long a run id given up by the API (its create's reply was lost) stays refused."""

WORKER_FORGET_AFTER_S = 24 * 3600
"""A worker that stopped heartbeating without shutting down cleanly (killed, its host gone)
leaves `GET /v1/workers` this long after its last heartbeat: its `worker:{name}` hash expires
then, and the next heartbeat of any worker trims it from the `workers` set."""


@dataclasses.dataclass(frozen=True)
class Keys:
    """Key names under one prefix."""

    prefix: str

    def run(self, run_id: str) -> str:
        """Hash: the run record (`worker.store.records`), with its lease while it runs."""
        return f"{self.prefix}run:{run_id}"

    def events(self, run_id: str) -> str:
        """Stream: the run's events, entry id `0-<event id>`, capped per run."""
        return f"{self.prefix}run:{run_id}:events"

    def event_seq(self, run_id: str) -> str:
        """Counter: the last event id of the run."""
        return f"{self.prefix}run:{run_id}:seq"

    def attempts(self, run_id: str) -> str:
        """Hash: attempt number -> JSON record of that attempt."""
        return f"{self.prefix}run:{run_id}:attempts"

    def checkpoints(self, run_id: str) -> str:
        """Hash: checkpoint key -> JSON value."""
        return f"{self.prefix}run:{run_id}:checkpoints"

    def secrets(self, run_id: str) -> str:
        """String: the run's secrets, sealed (`worker.store.sealing`), deleted when the run
        ends; its TTL: `SECRETS_TTL_S`, or its deadline plus `SECRETS_DEADLINE_MARGIN_S`."""
        return f"{self.prefix}run:{run_id}:secrets"

    def aborted(self, run_id: str) -> str:
        """String: a run id the API gave up (its create may still arrive: it is refused)."""
        return f"{self.prefix}run:{run_id}:aborted"

    @property
    def due(self) -> str:
        """Sorted set: run id -> epoch ms when the sweep must look at it (a processing run's
        lease expiry; an open run's queue timeout or deadline, whichever comes first)."""
        return f"{self.prefix}due"

    def waiting(self, queue: str) -> str:
        """Sorted set: open runs of a queue -> epoch ms when their message was put on the
        queue, or its countdown ends (the sweep's guard against messages lost in the broker)."""
        return f"{self.prefix}waiting:{queue}"

    @property
    def queues(self) -> str:
        """Set: every queue a run was put on (the sweep guards each)."""
        return f"{self.prefix}queues"

    @property
    def metrics(self) -> str:
        """Hash: pool metric field (`worker.telemetry.metrics`) -> value, counted by scripts."""
        return f"{self.prefix}metrics"

    def queue(self, name: str) -> str:
        """List: the broker's (kombu's) messages waiting on a queue, oldest at the right end.

        kombu names it (`worker.broker.envelope` takes the name from kombu itself; a test
        checks the two agree): the prefix and the queue name, for messages of the default
        priority, which is all the pool sends."""
        return f"{self.prefix}{name}"

    @property
    def unacked(self) -> str:
        """Hash: kombu's messages delivered to a worker and not acknowledged yet."""
        return f"{self.prefix}unacked"

    def worker(self, name: str) -> str:
        """Hash: what a worker said of itself (`worker.store.presence`) and when it last
        heartbeat; expires `WORKER_FORGET_AFTER_S` after that heartbeat, deleted when the
        worker shuts down cleanly."""
        return f"{self.prefix}worker:{name}"

    @property
    def workers(self) -> str:
        """Sorted set: worker name -> epoch ms of its last heartbeat (names heartbeating
        within `WORKER_FORGET_AFTER_S`; the set itself expires that long after the last)."""
        return f"{self.prefix}workers"

    @property
    def sweep_lock(self) -> str:
        """String: held by the one worker running the recovery sweep."""
        return f"{self.prefix}sweep-lock"

    @property
    def rate_limit(self) -> str:
        """The API's rate limiter (`api.ratelimit`) names its keys `<this>:<rest>`, the
        `limits` library's way: one list of hit times per credential digest and rate,
        expiring one window after the last hit."""
        return f"{self.prefix}ratelimit"

    def idempotency(self, key_digest: str) -> str:
        """Hash {runId, fingerprint}, kept for the idempotency retention window."""
        return f"{self.prefix}idem:{key_digest}"

    def index(self, dimension: str, value: str = "") -> str:
        """Sorted set of run ids by creation time (ms), one per dimension and value: all,
        status, action, owner, template, task, user (`GET /v1/runs` reads them)."""
        return (
            f"{self.prefix}runs:{dimension}:{value}" if value else f"{self.prefix}runs:{dimension}"
        )

    @property
    def forgettable(self) -> str:
        """Sorted set: finished run id -> epoch ms when its retention ends and the sweep
        forgets it (its records and every index entry)."""
        return f"{self.prefix}runs-ending"

    def run_indexes(
        self,
        action_id: str,
        owner: str | None,
        template: str | None,
        task: str | None = None,
        user: str | None = None,
    ) -> list[str]:
        """The indexes a run belongs to besides its status index."""
        keys = [self.index("all"), self.index("action", action_id)]
        for dimension, value in (
            ("owner", owner),
            ("template", template),
            ("task", task),
            ("user", user),
        ):
            if value:
                keys.append(self.index(dimension, value))
        return keys
