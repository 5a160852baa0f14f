"""The real app, lifespan included, behind an in-process HTTP client, on the real Redis."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from actionpool.api.app import create_app
from actionpool.api.settings import ApiSettings
from actionpool.worker.settings import PoolSettings


@contextlib.asynccontextmanager
async def serve(settings: ApiSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The app on these settings, lifespan included, behind an in-process HTTP client."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pool") as client:
            yield client


@pytest.fixture
async def http(settings: PoolSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(ApiSettings(**settings.model_dump())) as client:
        yield client
