"""How a run becomes an HTTP answer: status code, replay header, failure after a wait."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from actionpool.actions.errors import RunEndedUnsuccessfullyError, RunStillProcessingError
from actionpool.api.schemas import RunView
from actionpool.api.settings import MAX_WAIT_S
from actionpool.worker.client import Run, RunStatus

WaitQuery = Annotated[
    float,
    Query(ge=0, le=MAX_WAIT_S, description="Hold the request until the run ends or N s pass"),
]
FailOnErrorQuery = Annotated[
    bool,
    Query(
        alias="failOnError",
        description="After a wait, answer 424 if the run ended failed or cancelled",
    ),
]

RequireEndQuery = Annotated[
    bool,
    Query(
        alias="requireEnd",
        description="After a wait, answer 504 RunStillProcessingError if the run has not ended",
    ),
]

UNSUCCESSFUL = frozenset({RunStatus.FAILED, RunStatus.CANCELLED})


def raise_if_running(
    view: RunView, *, waited_s: float, require_end: bool, again: str | None = None
) -> None:
    """A wait asked to see the run end (`requireEnd`) fails if it did not (504): a template
    step must not succeed while its run goes on. `again` says how to wait for it again."""
    if waited_s > 0 and require_end and not view.status.is_terminal:
        again = again or f"wait for it again with GET {view.links.self_}?wait=N"
        raise RunStillProcessingError(
            f"run {view.id} did not end within {waited_s:g} s and goes on in the pool "
            f"({view.links.self_}); {again}",
            view.id,
        )


def raise_if_unsuccessful(view: RunView, *, waited: bool, fail_on_error: bool) -> None:
    """A wait that saw the run end failed or cancelled fails too (424), with the run's error."""
    if not (waited and fail_on_error and view.status in UNSUCCESSFUL):
        return
    error = view.error
    raise RunEndedUnsuccessfullyError(
        error.name if error else "RunCancelledError",
        error.message if error else f"run {view.id} was cancelled",
        view.id,
        view.status.value,
    )


def answer_create(
    run: Run, *, created: bool, waited_s: float, fail_on_error: bool, require_end: bool
) -> Response:
    """New run: 202, or 200 if it ended within the wait. Replay: 200, `Idempotent-Replayed`."""
    view = RunView.of(run)
    raise_if_unsuccessful(view, waited=waited_s > 0, fail_on_error=fail_on_error)
    raise_if_running(view, waited_s=waited_s, require_end=require_end)
    headers = {}
    if created:
        status = 200 if run.status.is_terminal else 202
    else:
        status = 200
        headers["Idempotent-Replayed"] = "true"
    return run_response(view, status, headers)


def run_response(
    view: RunView, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """The run as JSON (serialised once by pydantic: the route's model is for OpenAPI), with
    `Location`, like every answer that carries a run."""
    body = view.model_dump_json(by_alias=True)
    headers = {**(headers or {}), "Location": view.links.self_}
    return Response(body, status_code=status, headers=headers, media_type="application/json")
