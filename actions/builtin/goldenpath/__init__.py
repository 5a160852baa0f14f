"""Golden paths: `golden-path:create-repository` and the libraries it builds from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actionpool.actions.action import Action

if TYPE_CHECKING:
    from actionpool.actions.settings import ActionSettings


def actions_of(settings: ActionSettings) -> tuple[Action[Any, Any], ...]:
    """The golden-path actions, bound to the git and golden-path settings."""
    from actionpool.actions.builtin.goldenpath.create import create_repository_action

    return (create_repository_action(settings),)
