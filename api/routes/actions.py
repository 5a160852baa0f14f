"""`/v1/actions`: what the pool can run, and starting a run."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response

from actionpool.actions.errors import StoreUnavailableError
from actionpool.api.deps import Caller, ClientDep, Creator, RateLimiterDep, require_json
from actionpool.api.outcome import FailOnErrorQuery, RequireEndQuery, WaitQuery, answer_create
from actionpool.api.schemas import (
    ActionView,
    CreateRunBody,
    RunView,
    error_responses,
    run_responses,
)
from actionpool.worker.client import RunRequest

router = APIRouter(prefix="/v1/actions", tags=["actions"])

PLUGIN_ERRORS = "X-Actionpool-Plugin-Errors"
FAILED_PLUGINS = "X-Actionpool-Failed-Plugins"
PLUGIN_HEADERS = {
    PLUGIN_ERRORS: {
        "description": "How many installed plugins did not load (their actions are missing)",
        "schema": {"type": "integer", "minimum": 0},
    },
    FAILED_PLUGINS: {
        "description": "When some did not load: their entry-point names, comma-separated "
        "(the API's log says why)",
        "schema": {"type": "string"},
    },
}
_PLUGIN_NAME = re.compile(r"plugin '([^']*)'")  # PluginLoadError's message (actions.registry)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def failed_plugins(messages: Iterable[str]) -> list[str]:
    """The entry-point names in plugin load errors, safe as a header value."""
    names = []
    for message in messages:
        found = _PLUGIN_NAME.match(message)
        names.append(_UNSAFE.sub("?", found.group(1))[:100] if found else "?")
    return names


@router.get(
    "",
    responses={200: {"headers": PLUGIN_HEADERS}, **error_responses(401, 503)},
)
async def list_actions(client: ClientDep, _: Caller, response: Response) -> list[ActionView]:
    """The actions; the headers say whether plugins failed to load (the body stays
    Backstage's list)."""
    names = failed_plugins(str(error) for error in client.registry.plugin_errors)
    response.headers[PLUGIN_ERRORS] = str(len(names))
    if names:
        response.headers[FAILED_PLUGINS] = ", ".join(names)
    return [ActionView.of(a) for a in client.actions()]


@router.post(
    "/{actionId}/runs",
    status_code=202,
    response_model=RunView,
    responses={
        **run_responses(
            200,
            202,
            replayed=200,
            s200="Replayed, or ended within ?wait",
            s202="Committed: it will run",
        ),
        **error_responses(400, 401, 403, 404, 413, 415, 422, 424, 429, 503, 504),
    },
)
async def create_run(
    actionId: str,  # noqa: N803 - the path parameter's public name
    body: CreateRunBody,
    client: ClientDep,
    access: Creator,
    _json: Annotated[None, Depends(require_json)],  # after the credential: a 401 comes first
    limiter: RateLimiterDep,
    wait: WaitQuery = 0,
    fail_on_error: FailOnErrorQuery = True,
    require_end: RequireEndQuery = False,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response:
    """Start a run (202), or find the run that already holds the idempotency key (200)."""
    user_entity = body.user.entity if body.user else None
    context = await access.new_run_context(body.context, user_entity)
    await limiter.hit(access.principal.credential_id)
    request = RunRequest(
        input=body.input,
        context=context,
        secrets=body.secrets,
        dry_run=body.dry_run,
        body_key=body.idempotency_key,
        header_key=idempotency_key,
    )
    created = await client.create_run(actionId, request)
    run = created.run
    if wait > 0:
        # The run is accepted: if Redis fails during the wait, answer with what we know.
        with contextlib.suppress(StoreUnavailableError):
            run = await client.wait_for_end(run.id, wait)
    return answer_create(
        run,
        created=created.created,
        waited_s=wait,
        fail_on_error=fail_on_error,
        require_end=require_end,
    )
