"""Actions that the registry tests load through entry points."""

from actionpool.actions.action import action
from actionpool.actions.context import ActionContext
from actionpool.actions.model import ActionModel


class Empty(ActionModel):
    pass


@action("acme:hello", description="says hello")
def hello(input: Empty, ctx: ActionContext) -> Empty:
    return Empty()


@action("acme:bye", description="says bye")
def bye(input: Empty, ctx: ActionContext) -> Empty:
    return Empty()


ALL = [bye]
NOT_AN_ACTION = 42
