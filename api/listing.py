"""`GET /v1/runs`: its query, turned into the store's filter (scoped to what the caller may
see), and its answer (`worker.store.listing` does the reading)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated

from fastapi import Query, Response
from pydantic import Field

from actionpool.api.identity.access import Access
from actionpool.api.schemas import ApiModel, RunLinks
from actionpool.worker.client import MAX_LIMIT, RunFilter, RunPage, RunStatus, RunSummary

NAME = 512
"""Longest filter value (as long as the run context's longest field)."""


def trace_id_of(traceparent: str | None) -> str | None:
    """The trace id of a W3C traceparent (`00-<trace id>-<span id>-<flags>`)."""
    parts = (traceparent or "").split("-")
    return parts[1] if len(parts) == 4 and len(parts[1]) == 32 else None


class RunSummaryView(RunSummary):
    """A run in a listing: no input, output or attempts (`links.self` has them)."""

    trace_id: str | None = Field(description="The run's trace, from its traceparent")
    links: RunLinks

    @classmethod
    def of(cls, run: RunSummary) -> RunSummaryView:
        path = f"/v1/runs/{run.id}"
        links = RunLinks.model_construct(self_=path, events=f"{path}/events")
        # the summary was validated as it was read: a listing of 500 is not validated twice
        return cls.model_construct(**dict(run), trace_id=trace_id_of(run.traceparent), links=links)


class RunList(ApiModel):
    items: list[RunSummaryView]
    next_cursor: str | None = Field(
        description="Send as `cursor` for the next page; null when nothing is left. A page "
        "can hold fewer runs than `limit` and still name one"
    )

    @classmethod
    def of(cls, page: RunPage) -> RunList:
        cursor = page.next_cursor.encode() if page.next_cursor else None
        items = [RunSummaryView.of(run) for run in page.items]
        return cls.model_construct(items=items, next_cursor=cursor)

    def response(self) -> Response:
        """As JSON, serialized once (a route returning the model would validate it again)."""
        return Response(self.model_dump_json(by_alias=True), media_type="application/json")


Filter = Annotated[str | None, Query(min_length=1, max_length=NAME)]
StatusQuery = Annotated[
    list[RunStatus], Query(alias="status", description="Any of these statuses (repeatable)")
]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Most runs in the page")]
CursorQuery = Annotated[
    str | None, Query(max_length=256, description="`nextCursor` of the page before")
]
TimeQuery = Annotated[datetime | None, Query(description="ISO 8601")]


def scoped_filter(access: Access, run_filter: RunFilter) -> RunFilter:
    """The filter, kept to the runs the caller may see: its owners' and its own (the rule
    of `api.identity.policy.sees`)."""
    owners = access.owners_filter
    if owners is None:
        return run_filter
    return dataclasses.replace(
        run_filter, visible_owners=owners, visible_user=access.principal.user_ref
    )
