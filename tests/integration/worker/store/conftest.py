"""Store fixtures: a run record to create, as the API would build it."""

from __future__ import annotations

import uuid

import pytest

from actionpool.actions.registry import Registry
from actionpool.worker.execution.dispatch import Dispatcher
from actionpool.worker.store.records import Run, RunContext, RunStatus
from actionpool.worker.store.replies import Created
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


@pytest.fixture
def create(store: RunStore, registry: Registry, dispatcher: Dispatcher) -> object:
    """Create a run (with its attempt-1 message); returns what the script said."""

    def make(
        run: Run,
        *,
        key: str | None = None,
        fingerprint: str = "fp",
        secrets: dict[str, str] | None = None,
    ) -> Created:
        message = dispatcher.message(run, registry.get(run.action_id), 1)
        call = store.writes.create(
            run, message, fingerprint=fingerprint, key_digest=key, secrets=secrets or {}
        )
        return store.run(call)

    return make
