"""`RunCheckpoints`: the `CheckpointStore` of one run in Redis, fenced by the attempt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from actionpool.actions.errors import LeaseLostError
from actionpool.worker.store.store import RunStore

T = TypeVar("T")


def once(call: Callable[[], T]) -> T:
    return call()


class RunCheckpoints:
    """Values kept per run and key; only the attempt holding the run may save. A refused save
    calls `on_fenced` (the attempt is told to stop) and raises `LeaseLostError`. Loads and
    saves go through `durably` (the executor's: they ride out a Redis outage of up to a lease
    TTL; a save is fenced and idempotent, so a resend is safe)."""

    def __init__(
        self,
        store: RunStore,
        run_id: str,
        attempt: int,
        on_fenced: Callable[[], None] = lambda: None,
        durably: Callable[[Callable[[], Any]], Any] = once,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.attempt = attempt
        self.on_fenced = on_fenced
        self.durably = durably

    def load(self, key: str) -> str | None:
        value: str | None = self.durably(lambda: self.store.load_checkpoint(self.run_id, key))
        return value

    def save(self, key: str, value_json: str) -> None:
        saved = self.durably(
            lambda: self.store.save_checkpoint(self.run_id, self.attempt, key, value_json)
        )
        if not saved:
            self.on_fenced()
            raise LeaseLostError(f"attempt {self.attempt} no longer holds run {self.run_id}")
