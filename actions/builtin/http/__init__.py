"""`http:request`: HTTP calls from template steps, to the hosts the operator allows
(`HttpConfig`, `ACTIONPOOL_HTTP__*`)."""

from __future__ import annotations

from typing import Any

from actionpool.actions.action import Action
from actionpool.actions.builtin.http.config import HttpConfig
from actionpool.actions.builtin.http.request import request_action


def actions_of(config: HttpConfig) -> tuple[Action[Any, Any], ...]:
    """The actions of this family, bound to `config`."""
    return (request_action(config),)
