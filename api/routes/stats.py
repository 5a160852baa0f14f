"""`/v1/stats`: flow figures per template, owner or action (see docs/http-api.md)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from actionpool.actions.errors import InputValidationError
from actionpool.api.deps import ClientDep, Reader, SettingsDep
from actionpool.api.schemas import error_responses
from actionpool.worker.client import FlowFigures, GroupBy, whole_ms

router = APIRouter(prefix="/v1/stats", tags=["stats"])

DEFAULT_WINDOW = timedelta(days=7)
DURATION = re.compile(r"(\d{1,9})([dhms])")
UNIT_S = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def since_error(text: str, reason: str) -> InputValidationError:
    message = f"since {text!r} {reason}"
    return InputValidationError(message, [{"path": "query.since", "message": message}])


def parse_since(text: str | None, until: datetime) -> datetime:
    """`since` as a moment: an ISO 8601 time (UTC when it names no offset) or a duration
    before `until` (`7d`, `24h`, `30m`, `90s`); 7 days before `until` when absent."""
    if text is None:
        return whole_ms(until - DEFAULT_WINDOW)
    if match := DURATION.fullmatch(text.strip()):
        try:
            return whole_ms(until - timedelta(seconds=int(match[1]) * UNIT_S[match[2]]))
        except OverflowError:
            raise since_error(text, "reaches back before year 1") from None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        reason = (
            "is neither an ISO 8601 time nor a duration such as 7d, 24h or 30m "
            "(in a URL, write the + of an offset as %2B)"
        )
        raise since_error(text, reason) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        moment = whole_ms(moment)  # in UTC: an offset can reach back before year 1
    except OverflowError:
        raise since_error(text, "reaches back before year 1") from None
    if moment > until:
        raise since_error(text, "is in the future")
    return moment


GroupByQuery = Annotated[
    GroupBy,
    Query(alias="groupBy", description="Group runs by templateRef, owner or actionId"),
]
SinceQuery = Annotated[
    str | None,
    Query(
        description="Runs created at or after this ISO 8601 time, or this long ago "
        "(`7d`, `24h`, `30m`); default 7 days ago",
    ),
]


@router.get("", responses=error_responses(401, 403, 422, 503))
async def get_stats(
    client: ClientDep,
    settings: SettingsDep,
    access: Reader,
    group_by: GroupByQuery = GroupBy.TEMPLATE,
    since: SinceQuery = None,
) -> FlowFigures:
    """Flow figures per template, owner or action of the runs created since `since`, of the
    owners the caller sees."""
    until = client.now()
    start = parse_since(since, until)
    return await client.stats(
        group_by, start, until, max_runs=settings.stats_max_runs, owners=access.owners_filter
    )
