"""`/v1/queues`."""

from __future__ import annotations

from fastapi import APIRouter

from actionpool.api.deps import ClientDep, Reader
from actionpool.api.fleet import QueueList
from actionpool.api.schemas import error_responses

router = APIRouter(prefix="/v1/queues", tags=["queues"])


@router.get("", responses=error_responses(401, 403, 503))
async def list_queues(client: ClientDep, _: Reader) -> QueueList:
    """The pool's queues: messages waiting, how long the oldest has waited, attempts running."""
    return QueueList(items=await client.queues())
