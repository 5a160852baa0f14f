"""`/v1/runs`: inspect a run, wait for it, read its events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import ClientDep
from api.outcome import FailOnErrorQuery, WaitQuery, raise_if_unsuccessful, run_response
from api.schemas import RunView, error_responses
from worker.records import RunEvent, RunStatus

router = APIRouter(prefix="/v1/runs", tags=["runs"])

MAX_EVENT_ID = 2**53
"""Event ids are counters; anything larger names no event (and no Redis stream id)."""


@router.get("/{runId}", responses=error_responses(404, 422, 424, 503))
async def get_run(
    runId: str,  # noqa: N803 - the path parameter's public name
    client: ClientDep,
    wait: WaitQuery = 0,
    fail_on_error: FailOnErrorQuery = True,
) -> RunView:
    """The run; with `?wait=N`, once it has ended or N seconds have passed."""
    run = await (client.wait_for_end(runId, wait) if wait > 0 else client.get_run(runId))
    view = RunView.of(run)
    raise_if_unsuccessful(view, waited=wait > 0, fail_on_error=fail_on_error)
    return view


@router.post(
    "/{runId}/cancel",
    status_code=202,
    response_model=RunView,
    responses={
        200: {"model": RunView, "description": "Cancelled"},
        **error_responses(404, 409, 503),
    },
)
async def cancel_run(
    runId: str,  # noqa: N803 - the path parameter's public name
    client: ClientDep,
) -> Response:
    """Cancel a run: 200 once it is `cancelled`, 202 while a processing run is stopping."""
    run = await client.cancel_run(runId)
    status = 200 if run.status == RunStatus.CANCELLED else 202
    return run_response(RunView.of(run), status)


@router.get("/{runId}/events", responses=error_responses(404, 422, 503))
async def list_events(
    runId: str,  # noqa: N803 - the path parameter's public name
    client: ClientDep,
    after: Annotated[
        int, Query(ge=0, le=MAX_EVENT_ID, description="Only events with a larger id")
    ] = 0,
) -> list[RunEvent]:
    return await client.events(runId, after=after)
