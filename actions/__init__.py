"""The action SDK: declare an action, run it with a context, register it; test it with
`actionpool.actions.testing.ActionHarness` (docs/writing-actions.md).

Nothing here imports Celery or FastAPI, so an action can be run and tested on its own.
"""

from actionpool.actions.action import (
    READ_ONLY,
    Action,
    Attributes,
    Deprecation,
    Example,
    RetryPolicy,
    action,
)
from actionpool.actions.context import (
    ActionContext,
    BackstageContext,
    CheckpointStore,
    MemoryCheckpoints,
)
from actionpool.actions.errors import (
    ActionError,
    ActionTimeoutError,
    NonRetryableActionError,
    RetryableActionError,
)
from actionpool.actions.model import ActionModel
from actionpool.actions.registry import Registry

__all__ = [
    "READ_ONLY",
    "Action",
    "ActionContext",
    "ActionError",
    "ActionModel",
    "ActionTimeoutError",
    "Attributes",
    "BackstageContext",
    "CheckpointStore",
    "Deprecation",
    "Example",
    "MemoryCheckpoints",
    "NonRetryableActionError",
    "Registry",
    "RetryPolicy",
    "RetryableActionError",
    "action",
]
