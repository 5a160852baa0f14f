"""`/healthz` (the process is alive) and `/readyz` (Redis answers)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ClientDep
from api.schemas import error_responses

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses=error_responses(503))
async def readyz(client: ClientDep) -> dict[str, str]:
    await client.ping()
    return {"status": "ok"}
