"""Actions every pool has."""

from __future__ import annotations

from typing import Any

from actionpool.actions.action import Action
from actionpool.actions.builtin.debug import fail, log, sleep

BUILTIN_ACTIONS: tuple[Action[Any, Any], ...] = (log, sleep, fail)

__all__ = ["BUILTIN_ACTIONS"]
