"""Actions every pool has: `debug:*`, `git:publish`, `http:request` and
`golden-path:create-repository`, the last three configured by `ActionSettings`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actionpool.actions.action import Action
from actionpool.actions.builtin import git, goldenpath, http
from actionpool.actions.builtin.debug import fail, log, sleep

if TYPE_CHECKING:
    from actionpool.actions.settings import ActionSettings

DEBUG_ACTIONS: tuple[Action[Any, Any], ...] = (log, sleep, fail)


def builtin_actions(settings: ActionSettings) -> tuple[Action[Any, Any], ...]:
    """Every built-in action, bound to what the operator configured for it."""
    return (
        *DEBUG_ACTIONS,
        *git.actions_of(settings.git),
        *http.actions_of(settings.http),
        *goldenpath.actions_of(settings),
    )


__all__ = ["DEBUG_ACTIONS", "builtin_actions"]
