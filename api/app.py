"""`create_app`: the FastAPI app, built from settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from actionpool.actions.registry import Registry, build_registry
from actionpool.api.distributed import shared_names
from actionpool.api.errors import install_error_handlers
from actionpool.api.identity.audit import Audit
from actionpool.api.identity.authenticator import Authenticator
from actionpool.api.limits import BodyLimitMiddleware, JsonLimits
from actionpool.api.openapi import install_openapi
from actionpool.api.ratelimit import RateLimiter
from actionpool.api.routes import (
    actions,
    distributed,
    docs,
    health,
    metrics,
    queues,
    runs,
    stats,
    ui,
    workers,
)
from actionpool.api.settings import ApiSettings
from actionpool.api.tracing import trace_requests
from actionpool.worker.client import PoolClient
from actionpool.worker.settings import TelemetrySettings
from actionpool.worker.telemetry.logs import configure_logging
from actionpool.worker.telemetry.spans import RunAttributeProcessor
from actionpool.worker.telemetry.tracing import configure_tracing, shutdown_tracing

log = logging.getLogger(__name__)


Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
ROUTERS = (
    actions.router,
    runs.router,
    workers.router,
    queues.router,
    stats.router,
    distributed.router,
    health.router,
    metrics.router,
    docs.router,
    ui.router,
)


def create_app(settings: ApiSettings, registry: Registry | None = None) -> FastAPI:
    registry = registry or build_registry(settings)
    for error in registry.plugin_errors:
        log.error("plugin not loaded: %s", error)
    for name, ids in shared_names(registry).items():
        log.error("distributed actions: %s share the name %s; none is listed", ", ".join(ids), name)
    authenticator = Authenticator(settings)  # refuses a start with no credential configured
    app = FastAPI(
        title="actionpool",
        version="1",
        description="Runs Backstage scaffolder actions out of process.",
        lifespan=lifespan_of(settings, registry, authenticator),
        openapi_url=None,  # served by api.routes.docs, behind authentication
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.authenticator = authenticator
    install_error_handlers(app)
    trace_requests(app)
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        json_limits=JsonLimits.of(settings),
        body_timeout_s=settings.body_timeout_s,
    )
    for router in ROUTERS:
        app.include_router(router)
    install_openapi(app, registry)
    return app


def lifespan_of(
    settings: ApiSettings, registry: Registry, authenticator: Authenticator
) -> Lifespan:
    """What an API process holds while it serves: the pool client, the audit trail (and its
    flush each second), the rate limiter."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = PoolClient.from_settings(settings, registry)
        app.state.client = client
        app.state.audit = audit = Audit(client)
        flusher = asyncio.create_task(audit.flush_every_second())
        app.state.rate_limiter = limiter = RateLimiter.from_settings(
            settings, key_prefix=client.store.keys.rate_limit
        )
        try:
            await client.check_at_start()  # refuses a Redis that may evict keys
            yield
        finally:
            flusher.cancel()
            with contextlib.suppress(Exception):
                await audit.flush()
            await client.close()
            await limiter.close()
            await authenticator.close()
            shutdown_tracing()

    return lifespan


SERVICE_NAME = "actionpool-api"


def app_from_env() -> FastAPI:
    """uvicorn factory (`api.app:app_from_env`): settings from the environment; tracing is
    set up here, in each uvicorn process."""
    settings = ApiSettings()
    configure_logging(settings.log_level, settings.log_format)
    configure_tracing(TelemetrySettings(), SERVICE_NAME, (RunAttributeProcessor(),))
    return create_app(settings)
