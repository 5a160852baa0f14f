"""The action SDK: declare an action, run it with a context, register it.

Nothing here imports Celery or FastAPI, so an action can be run and tested on its own.
"""

from actions.action import Action, Example, RetryPolicy, action
from actions.context import ActionContext, BackstageContext, CheckpointStore
from actions.errors import (
    ActionError,
    ActionTimeoutError,
    NonRetryableActionError,
    RetryableActionError,
)
from actions.model import ActionModel
from actions.registry import Registry

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
