"""Build an `ActionContext` for running an action outside the pool."""

from __future__ import annotations

import logging
from pathlib import Path

from actionpool.actions.context import ActionContext, MemoryCheckpoints


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def make_context(
    tmp_path: Path, attempt: int = 1, **changes: object
) -> tuple[ActionContext, ListHandler]:
    handler = ListHandler()
    logger = logging.Logger("test-run", level=logging.INFO)
    logger.addHandler(handler)
    ctx = ActionContext(
        run_id="run-1",
        attempt=attempt,
        logger=logger,
        workspace_dir=tmp_path / "workspace",
        checkpoints=MemoryCheckpoints(),
        **changes,  # type: ignore[arg-type]
    )
    return ctx, handler
