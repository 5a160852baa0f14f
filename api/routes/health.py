"""`/healthz` (the process is alive) and `/readyz` (Redis answers)."""

from __future__ import annotations

from fastapi import APIRouter

from actionpool.api.deps import ClientDep
from actionpool.api.schemas import error_responses

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses=error_responses(503))
async def readyz(client: ClientDep) -> dict[str, str]:
    """200 when Redis answers and keeps what it is given (its maxmemory-policy evicts
    nothing, or `ACTIONPOOL_ALLOW_EVICTION` is set); else 503."""
    await client.check_ready()
    return {"status": "ok"}
