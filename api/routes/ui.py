"""`/ui`: the operators' web page."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["ui"])
