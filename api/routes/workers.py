"""`/v1/workers`."""

from __future__ import annotations

from fastapi import APIRouter

from actionpool.api.deps import ClientDep, Reader
from actionpool.api.fleet import WorkerList
from actionpool.api.schemas import error_responses

router = APIRouter(prefix="/v1/workers", tags=["workers"])


@router.get("", responses=error_responses(401, 403, 503))
async def list_workers(client: ClientDep, _: Reader) -> WorkerList:
    """The pool's workers: where each runs, what it serves, how many attempts it runs now,
    and whether it still heartbeats."""
    return WorkerList(items=await client.workers())
