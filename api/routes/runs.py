"""`/v1/runs`: list runs, inspect one, wait for it, read its events, cancel or retry it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from actionpool.api.deps import (
    ClientDep,
    Reader,
    RunOperator,
    RunReader,
    SettingsDep,
    require_json,
)
from actionpool.api.listing import (
    CursorQuery,
    Filter,
    LimitQuery,
    RunList,
    StatusQuery,
    TimeQuery,
    scoped_filter,
)
from actionpool.api.outcome import (
    FailOnErrorQuery,
    RequireEndQuery,
    WaitQuery,
    raise_if_running,
    raise_if_unsuccessful,
    run_response,
)
from actionpool.api.schemas import RetryRunBody, RunView, error_responses, run_responses
from actionpool.api.sse import (
    EVENT_STREAM,
    event_stream_response,
    parse_last_event_id,
    wants_event_stream,
)
from actionpool.worker.client import RetryRequest, RunEvent, RunFilter, RunStatus

router = APIRouter(prefix="/v1/runs", tags=["runs"])

MAX_EVENT_ID = 2**53
"""Event ids are counters; anything larger names no event (and no Redis stream id)."""


@router.get(
    "",
    response_model=RunList,
    responses=error_responses(401, 403, 422, 503),
)
async def list_runs(
    client: ClientDep,
    access: Reader,
    status: StatusQuery = [],  # noqa: B006 - FastAPI copies the default
    action_id: Annotated[Filter, Query(alias="actionId")] = None,
    owner: Filter = None,
    template_ref: Annotated[Filter, Query(alias="templateRef")] = None,
    task_id: Annotated[Filter, Query(alias="taskId")] = None,
    user_ref: Annotated[Filter, Query(alias="userRef")] = None,
    created_after: Annotated[TimeQuery, Query(alias="createdAfter")] = None,
    created_before: Annotated[TimeQuery, Query(alias="createdBefore")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Response:
    """The runs the caller may see, newest first, from the indexes: every filter given
    must hold (`status` is any of those given; `createdAfter` inclusive, `createdBefore`
    exclusive). Follow `nextCursor` until it is null."""
    run_filter = RunFilter(
        statuses=tuple(status),
        action_id=action_id,
        owner=owner,
        template_ref=template_ref,
        task_id=task_id,
        user_ref=user_ref,
        created_after=created_after,
        created_before=created_before,
    )
    page = await client.list_runs(scoped_filter(access, run_filter), cursor=cursor, limit=limit)
    return RunList.of(page).response()


@router.get(
    "/{runId}",
    response_model=RunView,
    responses={**run_responses(200), **error_responses(401, 403, 404, 422, 424, 503, 504)},
)
async def get_run(
    runId: str,  # noqa: N803 - the path parameter's public name
    client: ClientDep,
    access: RunReader,
    wait: WaitQuery = 0,
    fail_on_error: FailOnErrorQuery = True,
    require_end: RequireEndQuery = False,
) -> Response:
    """The run; with `?wait=N`, once it has ended or N seconds have passed."""
    run = await access.run(client, runId)
    if wait > 0:
        run = await client.wait_for_end(runId, wait)
    view = RunView.of(run)
    raise_if_unsuccessful(view, waited=wait > 0, fail_on_error=fail_on_error)
    raise_if_running(view, waited_s=wait, require_end=require_end)
    return run_response(view)


@router.post(
    "/{runId}/cancel",
    status_code=202,
    response_model=RunView,
    responses={
        **run_responses(200, 202, s200="Cancelled", s202="Asked to stop: it is processing"),
        **error_responses(401, 403, 404, 409, 422, 503, 504),
    },
)
async def cancel_run(
    runId: str,  # noqa: N803 - the path parameter's public name
    client: ClientDep,
    access: RunOperator,
) -> Response:
    """Cancel a run: 200 once it is `cancelled`, 202 while a processing run is stopping."""
    await access.run(client, runId)
    run = await client.cancel_run(runId)
    status = 200 if run.status == RunStatus.CANCELLED else 202
    return run_response(RunView.of(run), status)


@router.post(
    "/{runId}/retry",
    status_code=202,
    response_model=RunView,
    responses={
        **run_responses(202, s202="Reopened as its next attempt: it will run"),
        **error_responses(400, 401, 403, 404, 409, 413, 415, 422, 503, 504),
    },
)
async def retry_run(
    runId: str,  # noqa: N803 - the path parameter's public name
    client: ClientDep,
    access: RunOperator,
    _json: Annotated[None, Depends(require_json)],  # after the credential: a 401 comes first
    body: RetryRunBody | None = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response:
    """Run a `failed` or `cancelled` run again as its next attempt, from its checkpoints
    (202); 409 for a run that is open, processing or completed. With an `Idempotency-Key`,
    the same request again answers 202 with the run as that retry left it."""
    await access.run(client, runId)
    request = RetryRequest(
        run_id=runId,
        requested_by=access.principal.credential_id,
        secrets=body.secrets if body else {},
        header_key=idempotency_key,
    )
    run = await client.retry_run(request)
    return run_response(RunView.of(run), 202)


EVENT_STREAM_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The events as JSON; with `Accept: text/event-stream`, a live stream of "
        "Server-Sent Events (`id`, `event`: the type, `data`: the event as JSON) that ends "
        "after the run's `completion` or `cancelled` event",
        "content": {EVENT_STREAM: {"schema": {"type": "string"}}},
    }
}


@router.get(
    "/{runId}/events",
    response_model=list[RunEvent],
    responses={**EVENT_STREAM_RESPONSE, **error_responses(400, 401, 403, 404, 422, 503)},
)
async def list_events(
    request: Request,
    runId: str,  # noqa: N803 - the path parameter's public name
    client: ClientDep,
    settings: SettingsDep,
    access: RunReader,
    after: Annotated[
        int, Query(ge=0, le=MAX_EVENT_ID, description="Only events with a larger id")
    ] = 0,
    last_event_id: Annotated[
        str | None,
        Header(alias="Last-Event-ID", description="Event stream: resume after this id"),
    ] = None,
) -> list[RunEvent] | Response:
    """The run's events after `after`, oldest first; with `Accept: text/event-stream`, those
    (after `Last-Event-ID` when sent) and then each new one as it is written, until the run
    ends."""
    await access.run(client, runId)
    if not wants_event_stream(request.headers.get("accept")):
        return await client.events(runId, after=after)
    resumed = parse_last_event_id(last_event_id, max_id=MAX_EVENT_ID)
    events = await client.follow_events(runId, after if resumed is None else resumed)
    return event_stream_response(events, settings.sse_keepalive_s)
