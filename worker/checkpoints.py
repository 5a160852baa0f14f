"""`RunCheckpoints`: the `CheckpointStore` of one run in Redis, fenced by the attempt."""

from __future__ import annotations

from actions.errors import LeaseLostError
from worker.store import RunStore


class RunCheckpoints:
    """Values kept per run and key; only the attempt holding the run may save."""

    def __init__(self, store: RunStore, run_id: str, attempt: int) -> None:
        self.store = store
        self.run_id = run_id
        self.attempt = attempt

    def load(self, key: str) -> str | None:
        value = self.store.redis.hget(self.store.keys.checkpoints(self.run_id), key)
        return None if value is None else str(value)

    def save(self, key: str, value_json: str) -> None:
        keys = self.store.keys
        saved = self.store.scripts.checkpoint(
            keys=[keys.run(self.run_id), keys.checkpoints(self.run_id)],
            args=[self.attempt, key, value_json],
        )
        if not saved:
            raise LeaseLostError(f"attempt {self.attempt} no longer holds run {self.run_id}")
