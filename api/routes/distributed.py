"""`/.backstage/actions/v1`: Backstage's actions-registry protocol (`api.distributed`)."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header

from actionpool.actions.errors import StoreUnavailableError, UnknownActionError
from actionpool.api import distributed
from actionpool.api.deps import (
    Caller,
    ClientDep,
    Creator,
    RateLimiterDep,
    SettingsDep,
    require_json,
)
from actionpool.api.distributed import ActionList, InvokeAnswer
from actionpool.api.outcome import raise_if_running, raise_if_unsuccessful
from actionpool.api.schemas import RunView, error_responses
from actionpool.worker.client import PoolClient, Run, RunRequest

router = APIRouter(prefix="/.backstage/actions/v1/actions", tags=["distributed actions"])


@router.get("", responses=error_responses(401, 503))
async def list_distributed_actions(
    client: ClientDep, settings: SettingsDep, _: Caller
) -> ActionList:
    """The pool's actions as Backstage's actions registry lists them."""
    return distributed.listing(client.actions(), settings.plugin_id)


@router.post(
    "/{actionId}/invoke",
    responses=error_responses(400, 401, 403, 404, 413, 415, 422, 424, 429, 503, 504),
)
async def invoke_distributed_action(
    actionId: str,  # noqa: N803 - the path parameter's public name
    body: Annotated[dict[str, Any], Body(description="The step's input")],
    client: ClientDep,
    settings: SettingsDep,
    access: Creator,
    _json: Annotated[None, Depends(require_json)],
    limiter: RateLimiterDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> InvokeAnswer:
    """Run the action and answer its output once the run has ended (up to
    `ACTIONPOOL_INVOKE_WAIT_S`): 424 if it failed, 504 if it is still processing."""
    action_id = pool_action_id(client, settings.plugin_id, actionId)
    action_input, invoke = distributed.split_input(body)
    user_entity = invoke.user.entity if invoke.user else None
    context = await access.new_run_context(invoke.run_context(), user_entity)
    await limiter.hit(access.principal.credential_id)
    request = RunRequest(
        input=action_input,
        context=context,
        secrets={},
        body_key=invoke.idempotency_key,
        header_key=idempotency_key,
    )
    run = (await client.create_run(action_id, request)).run
    with contextlib.suppress(StoreUnavailableError):  # accepted: answer with what we know
        run = await client.wait_for_end(run.id, settings.invoke_wait_s)
    return answer_invoke(run, settings.invoke_wait_s)


def pool_action_id(client: PoolClient, plugin_id: str, listed_id: str) -> str:
    """The pool action behind a listed id (`<pluginId>:<name>`)."""
    prefix, _, name = listed_id.partition(":")
    action = distributed.names_of(client.actions()).get(name) if prefix == plugin_id else None
    if action is None:
        raise UnknownActionError(
            f"No action {listed_id[:200]!r}: this pool lists its actions as "
            f"{plugin_id}:<name> at /.backstage/actions/v1/actions"
        )
    return action.id


INVOKE_AGAIN = (
    "retry the task to wait for it again: with actionpool.taskId and stepId in the input, "
    "the retry finds this run instead of starting another"
)


def answer_invoke(run: Run, wait_s: float) -> InvokeAnswer:
    """The output of a completed run; the run's own error (424) if it did not complete, a
    504 if it is still going (the same rules as a waiting `POST /v1/actions/{id}/runs`)."""
    view = RunView.of(run)
    raise_if_unsuccessful(view, waited=True, fail_on_error=True)
    raise_if_running(view, waited_s=wait_s, require_end=True, again=INVOKE_AGAIN)
    return InvokeAnswer(output=run.output or {})
