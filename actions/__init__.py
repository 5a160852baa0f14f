"""The action SDK: declare an action, run it with a context, register it.

Nothing here imports Celery or FastAPI, so an action can be run and tested on its own.
"""

from actionpool.actions.action import Action, Example, RetryPolicy, action
from actionpool.actions.context import ActionContext, BackstageContext, CheckpointStore
from actionpool.actions.errors import (
    ActionError,
    ActionTimeoutError,
    NonRetryableActionError,
    RetryableActionError,
)
from actionpool.actions.model import ActionModel
from actionpool.actions.registry import Registry

__all__ = [
    "Action",
    "ActionContext",
    "ActionError",
    "ActionModel",
    "ActionTimeoutError",
    "BackstageContext",
    "CheckpointStore",
    "Example",
    "NonRetryableActionError",
    "Registry",
    "RetryPolicy",
    "RetryableActionError",
    "action",
]
