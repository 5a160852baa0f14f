"""`git:publish`, and what other actions build on it: `skeleton.render_skeleton`,
`publishing.publish_tree`, and the `safety` types (`RemoteUrl`, `BranchName`)."""

from __future__ import annotations

from typing import Any

from actionpool.actions.action import Action
from actionpool.actions.builtin.git.config import GitConfig
from actionpool.actions.builtin.git.publish import publish_action


def actions_of(config: GitConfig) -> tuple[Action[Any, Any], ...]:
    """The actions of this family, bound to `config`."""
    return (publish_action(config),)
