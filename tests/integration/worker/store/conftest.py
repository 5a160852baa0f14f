"""Store fixtures: a run record to create, as the API would build it."""

from __future__ import annotations

import uuid

import pytest

from actionpool.worker.store.records import Run, RunContext, RunStatus
from actionpool.worker.store.store import RunStore


@pytest.fixture
def new_run(store: RunStore) -> object:
    def make(**changes: object) -> Run:
        fields = {
            "id": str(uuid.uuid4()),
            "action_id": "debug:log",
            "status": RunStatus.OPEN,
            "input": {"message": "hi"},
            "max_attempts": 3,
            "context": RunContext(
                owner="group:default/team-a", template_ref="template:default/svc"
            ),
            "queue": "default",
            "created_at": store.now(),
        }
        return Run(**{**fields, **changes})  # type: ignore[arg-type]

    return make
