"""Every Redis key and TTL of the pool, in one place.

All keys start with the configured prefix (default `actionpool:`), the broker's included
(Celery's `global_keyprefix`), so one Redis can hold several pools side by side.
"""

from __future__ import annotations

import dataclasses

SECRETS_TTL_S = 7 * 24 * 3600
"""Secrets of a run that never finishes are dropped after this long."""


@dataclasses.dataclass(frozen=True)
class Keys:
    """Key names under one prefix."""

    prefix: str

    def run(self, run_id: str) -> str:
        """Hash: the run record."""
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
        """String: the run's secrets as JSON, deleted when the run ends."""
        return f"{self.prefix}run:{run_id}:secrets"

    def lease(self, run_id: str) -> str:
        """String: the attempt number holding the run; expires unless heartbeats renew it."""
        return f"{self.prefix}run:{run_id}:lease"

    @property
    def metrics(self) -> str:
        """Hash: pool metric field (`worker/metrics.py`) -> value, counted by the scripts."""
        return f"{self.prefix}metrics"

    def queue(self, name: str) -> str:
        """List: the broker's (kombu's) messages waiting on a queue."""
        return f"{self.prefix}{name}"

    @property
    def sweep_lock(self) -> str:
        """String: held by the one worker running the recovery sweep."""
        return f"{self.prefix}sweep-lock"

    def idempotency(self, key_digest: str) -> str:
        """Hash {runId, fingerprint}, kept for the idempotency retention window."""
        return f"{self.prefix}idem:{key_digest}"

    def index(self, dimension: str, value: str = "") -> str:
        """Sorted set of run ids by creation time (ms): all, status, action, owner, template."""
        return (
            f"{self.prefix}runs:{dimension}:{value}" if value else f"{self.prefix}runs:{dimension}"
        )

    def run_indexes(self, action_id: str, owner: str | None, template: str | None) -> list[str]:
        """The indexes a run belongs to besides its status index."""
        keys = [self.index("all"), self.index("action", action_id)]
        if owner:
            keys.append(self.index("owner", owner))
        if template:
            keys.append(self.index("template", template))
        return keys
