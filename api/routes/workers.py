"""`/v1/workers`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/workers", tags=["workers"])
