"""`/v1/stats`: flow figures per template, owner or action (filled in by issue 4)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/stats", tags=["stats"])
