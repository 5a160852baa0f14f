"""`/metrics`: the whole pool's metrics for Prometheus (any API process shows the pool)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from actionpool.api.deps import ClientDep, MetricsReader
from actionpool.api.schemas import error_responses

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"},
        **error_responses(401, 403, 503),
    },
)
async def metrics(client: ClientDep, access: MetricsReader) -> Response:
    await access.audit.flush()  # this process's decisions so far are in what it shows
    return Response(await client.metrics(), media_type=CONTENT_TYPE_LATEST)
