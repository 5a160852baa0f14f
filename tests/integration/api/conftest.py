"""The real app, lifespan included, behind an in-process HTTP client, on the real Redis."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from actionpool.actions.registry import Registry
from actionpool.api.app import create_app
from actionpool.api.identity.settings import StaticTokenConfig
from actionpool.api.settings import ApiSettings
from actionpool.worker.settings import PoolSettings
from tests.identity import ADMIN, ADMIN_HEADERS


def with_admin(settings: ApiSettings) -> ApiSettings:
    """The settings, accepting the suite's admin token too (unless authentication is off)."""
    if settings.auth_disabled:
        return settings
    tokens = [*settings.static_tokens, StaticTokenConfig.model_validate(ADMIN)]
    return settings.model_copy(update={"static_tokens": tokens})


@contextlib.asynccontextmanager
async def serve(
    settings: ApiSettings,
    headers: dict[str, str] | None = ADMIN_HEADERS,
    registry: Registry | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    """The app on these settings (accepting the suite's admin token), lifespan included,
    behind an in-process HTTP client that sends `headers` (the admin's credential); its
    actions are `registry`'s, or those `build_registry` finds."""
    app = create_app(with_admin(settings), registry)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://pool", headers=headers
        ) as client:
            yield client


@pytest.fixture
async def http(settings: PoolSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(ApiSettings(**settings.model_dump())) as client:
        yield client
