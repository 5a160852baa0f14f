"""Backstage's distributed actions: the pool as a plugin of Backstage's actions registry.

A Backstage backend that lists the pool's plugin id in `backend.actions.pluginSources` asks
`GET {base}/.backstage/actions/v1/actions` for the actions and runs one with
`POST {base}/.backstage/actions/v1/actions/{id}/invoke`, the body being the step's input
alone (`@backstage/backend-defaults`' `DefaultActionsService`). Backstage sends an action to
the plugin named before the id's first `:`, so a pool action `debug:sleep` is listed as
`<pluginId>:debug.sleep`.

Backstage sends no task id, step id or template with an invoke. A template may add them in
the input's reserved property `actionpool` (`taskId`, `stepId`, `templateRef`, `owner`,
`idempotencyKey`, `user`): listed in every action's input schema, taken out before the action's own
input is validated. With `taskId` and `stepId`, a retried task finds the run it started
instead of starting another, as on the pool's own HTTP route.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from pydantic import ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from actionpool.actions.action import Action
from actionpool.actions.errors import InputValidationError
from actionpool.api.schemas import ActionSchemas, ApiModel, BackstageUser
from actionpool.worker.client import RunContext

CONTEXT_PROPERTY = "actionpool"
"""The reserved input property that carries what Backstage does not send with an invoke."""


class InvokeContext(ApiModel):
    """The input's `actionpool` property: where the step comes from, and its run's key."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    task_id: str | None = Field(
        default=None, max_length=256, description="`${{ context.task.id }}`"
    )
    step_id: str | None = Field(default=None, max_length=256, description="The step's `id`")
    template_ref: str | None = Field(default=None, max_length=512)
    owner: str | None = Field(default=None, max_length=512, description="The run's team")
    idempotency_key: str | None = Field(
        default=None, max_length=255, description='Default "taskId:stepId"'
    )
    user: BackstageUser | None = Field(
        default=None,
        description="`${{ user }}`: with a token acting for this same user, its entity's "
        "groups count as the user's teams for this run",
    )

    def run_context(self) -> RunContext:
        return RunContext(
            task_id=self.task_id,
            step_id=self.step_id,
            template_ref=self.template_ref,
            owner=self.owner,
        )


def inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with its `$defs` written where they are referred to: it is placed inside
    another schema, where `#/$defs/...` would point at that schema's root."""
    defs = schema.get("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


CONTEXT_SCHEMA: dict[str, Any] = {
    **inlined(InvokeContext.model_json_schema(by_alias=True)),
    "title": "actionpool",
    "description": "Where the step comes from (Backstage does not send it): with taskId and "
    "stepId, a retried task finds its run instead of starting another",
}


class Attributes(ApiModel):
    read_only: bool
    destructive: bool
    idempotent: bool


class DistributedAction(ApiModel):
    """One action as Backstage's actions registry lists it."""

    id: str
    name: str
    title: str
    description: str
    schema_: ActionSchemas = Field(alias="schema")
    attributes: Attributes


class ActionList(ApiModel):
    actions: list[DistributedAction]


class InvokeAnswer(ApiModel):
    output: dict[str, Any]


def name_of(action_id: str) -> str:
    """`debug:sleep` -> `debug.sleep`: Backstage reads an id's first `:` as the plugin's end."""
    return action_id.replace(":", ".")


def shared_names(actions: Iterable[Action[Any, Any]]) -> dict[str, list[str]]:
    """Names two or more actions would share (their ids differ only in `:` against `.`, as
    `a:b.c` and `a.b:c`), and those actions' ids."""
    by_name: dict[str, list[str]] = {}
    for action in actions:
        by_name.setdefault(name_of(action.id), []).append(action.id)
    return {name: ids for name, ids in by_name.items() if len(ids) > 1}


def names_of(actions: Iterable[Action[Any, Any]]) -> dict[str, Action[Any, Any]]:
    """Each listed name and its action; a shared name lists none of its actions (the API
    logs them at start)."""
    actions = list(actions)
    shared = shared_names(actions)
    return {name_of(a.id): a for a in actions if name_of(a.id) not in shared}


def input_schema(action: Action[Any, Any]) -> dict[str, Any]:
    """The action's input schema, with the reserved `actionpool` property added."""
    schema = copy.deepcopy(action.input_schema)
    schema.setdefault("properties", {})[CONTEXT_PROPERTY] = CONTEXT_SCHEMA
    return schema


def listing(actions: Iterable[Action[Any, Any]], plugin_id: str) -> ActionList:
    return ActionList(
        actions=[
            DistributedAction(
                id=f"{plugin_id}:{name}",
                name=name,
                title=action.id,
                description=action.listed_description,
                schema=ActionSchemas(input=input_schema(action), output=action.output_schema),
                attributes=Attributes(
                    read_only=action.attributes.read_only,
                    destructive=action.attributes.destructive,
                    idempotent=action.attributes.idempotent,
                ),
            )
            for name, action in sorted(names_of(actions).items())
        ]
    )


def split_input(body: dict[str, Any]) -> tuple[dict[str, Any], InvokeContext]:
    """The action's own input, and the reserved `actionpool` property (422 if malformed)."""
    action_input = dict(body)
    raw = action_input.pop(CONTEXT_PROPERTY, None)
    if raw is None:
        return action_input, InvokeContext()
    try:
        return action_input, InvokeContext.model_validate(raw)
    except ValidationError as exc:
        details = [
            {
                "path": ".".join([CONTEXT_PROPERTY, *(str(p) for p in e["loc"])]),
                "message": e["msg"],
            }
            for e in exc.errors()
        ]
        listed = "; ".join(f"{d['path']}: {d['message']}" for d in details)
        raise InputValidationError(f"the input does not match: {listed}", details) from exc
