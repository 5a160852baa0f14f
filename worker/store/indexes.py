"""The indexes of runs (sorted sets by creation time, `Keys.index`): which ones a run is in,
named from its record. `create.lua` puts a run in them, the status scripts move it between
status indexes, `forget.lua` takes it out of all of them when its retention ends, and
`worker.store.listing` reads them."""

from __future__ import annotations

import dataclasses

from actionpool.worker.store.keys import Keys
from actionpool.worker.store.records import Run, RunContext

INDEXED_FIELDS = ("actionId", "status", "context")
"""What the sweep reads of a run it forgets: enough to name each index that holds it."""


@dataclasses.dataclass(frozen=True)
class IndexedRun:
    """A run as its indexes know it (`INDEXED_FIELDS`, read by the sweep)."""

    run_id: str
    action_id: str
    status: str
    context: RunContext

    @classmethod
    def of(cls, run_id: str, row: list[str | None]) -> IndexedRun:
        action_id, status, context = row
        parsed = RunContext.model_validate_json(context) if context else RunContext()
        return cls(run_id, action_id or "", status or "", parsed)

    def index_keys(self, keys: Keys) -> list[str]:
        c = self.context
        names = keys.run_indexes(self.action_id, c.owner, c.template_ref, c.task_id, c.user_ref)
        return [*names, *([keys.index("status", self.status)] if self.status else [])]


def run_index_keys(keys: Keys, run: Run) -> list[str]:
    """The indexes a new run goes into besides its status index."""
    c = run.context
    return keys.run_indexes(run.action_id, c.owner, c.template_ref, c.task_id, c.user_ref)
