"""`RunCheckpoints`: the `CheckpointStore` of one run in Redis, fenced by the attempt."""

from __future__ import annotations

from collections.abc import Callable

from actionpool.actions.errors import LeaseLostError
from actionpool.worker.store.store import RunStore


class RunCheckpoints:
    """Values kept per run and key; only the attempt holding the run may save. A refused save
    calls `on_fenced` (the attempt is told to stop) and raises `LeaseLostError`."""

    def __init__(
        self,
        store: RunStore,
        run_id: str,
        attempt: int,
        on_fenced: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.attempt = attempt
        self.on_fenced = on_fenced

    def load(self, key: str) -> str | None:
        return self.store.load_checkpoint(self.run_id, key)

    def save(self, key: str, value_json: str) -> None:
        if not self.store.save_checkpoint(self.run_id, self.attempt, key, value_json):
            self.on_fenced()
            raise LeaseLostError(f"attempt {self.attempt} no longer holds run {self.run_id}")
