"""`/openapi.json`: the served contract, for any valid credential (like every endpoint but
the health checks)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from actionpool.api.deps import Caller
from actionpool.api.schemas import error_responses

router = APIRouter(tags=["docs"])


@router.get("/openapi.json", include_in_schema=False, responses=error_responses(401))
async def openapi(request: Request, _: Caller) -> dict[str, Any]:
    document: dict[str, Any] = request.app.openapi()
    return document
