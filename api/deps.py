"""FastAPI dependencies: the pool client and the settings held by the app.

`async def` so FastAPI does not send them to the thread pool on every request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from actionpool.actions.errors import (
    IdentityUnavailableError,
    NotAllowedError,
    UnsupportedMediaTypeError,
)
from actionpool.api.identity.access import Access
from actionpool.api.identity.audit import Audit, Decision
from actionpool.api.identity.authenticator import Authenticator
from actionpool.api.identity.claims import CredentialRejectedError
from actionpool.api.identity.principal import ANONYMOUS, Scope
from actionpool.api.ratelimit import RateLimiter
from actionpool.api.settings import ApiSettings
from actionpool.worker.client import PoolClient


async def get_client(request: Request) -> PoolClient:
    client: PoolClient = request.app.state.client
    return client


async def get_settings(request: Request) -> ApiSettings:
    """The settings the app was built with (`create_app` keeps them in `app.state`)."""
    settings: ApiSettings = request.app.state.settings
    return settings


async def get_rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


ClientDep = Annotated[PoolClient, Depends(get_client)]
RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]


async def require_json(request: Request) -> None:
    """A request with a body must send it as JSON, and say so: a `Content-Type` that names
    something else (curl's `-d` alone sends `application/x-www-form-urlencoded`), or none, is a
    415 that says which header to send, not a validation error of a body read as bytes."""
    content_type = request.headers.get("content-type")
    if content_type is None:
        if not await request.body():
            return
        raise UnsupportedMediaTypeError(
            "the body must be JSON, sent with Content-Type: application/json (this request "
            "sent no Content-Type)"
        )
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return
    raise UnsupportedMediaTypeError(
        f"the body must be JSON, sent with Content-Type: application/json (this request "
        f"said Content-Type: {content_type[:80]})"
    )


def endpoint_of(request: Request) -> str:
    """`GET /v1/runs/{runId}`: the route's template, not the path (ids are fields of their own)."""
    route = request.scope.get("route")
    return f"{request.method} {getattr(route, 'path', request.url.path)}"


BEARER = HTTPBearer(
    auto_error=False,
    description="A static token (`actionpool token`) or a Backstage plugin token",
)
BearerDoc = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]
"""Only documents the scheme in the OpenAPI document; `Authenticator` reads the header."""


def authorized(
    scope: Scope | None, *, per_run: bool = False
) -> Callable[[Request, HTTPAuthorizationCredentials | None], Awaitable[Access]]:
    """A dependency: the request's verified caller, holding `scope` (None: any credential).
    401 without a valid credential, 403 without the scope. The decision is recorded here,
    or, for `per_run` routes, when the route asks about its run (`Access.see`)."""

    async def dependency(request: Request, _: BearerDoc) -> Access:
        authenticator: Authenticator = request.app.state.authenticator
        audit: Audit = request.app.state.audit
        endpoint = endpoint_of(request)
        try:
            principal = await authenticator.authenticate(request.headers.get("authorization"))
        except (CredentialRejectedError, IdentityUnavailableError) as exc:
            reason = getattr(exc, "reason", "keys-unavailable")
            await audit.record(Decision(False, reason, endpoint, scope.value if scope else ""))
            raise
        access = Access(principal, scope, endpoint, audit)
        if not principal.may(scope):
            await access.record(False, "missing-scope")
            raise NotAllowedError(f"this credential does not hold the scope {scope}")
        if not per_run:
            await access.record(True, "granted")
        return access

    return dependency


async def metrics_access(request: Request, settings: SettingsDep) -> Access:
    """`/metrics`: open when `ACTIONPOOL_METRICS_OPEN` says so, else for admins."""
    if settings.metrics_open:
        return Access(ANONYMOUS, None, endpoint_of(request), request.app.state.audit)
    return await authorized(Scope.ADMIN)(request, None)


Creator = Annotated[Access, Depends(authorized(Scope.RUNS_CREATE))]
Reader = Annotated[Access, Depends(authorized(Scope.RUNS_READ))]
RunReader = Annotated[Access, Depends(authorized(Scope.RUNS_READ, per_run=True))]
RunOperator = Annotated[Access, Depends(authorized(Scope.RUNS_OPERATE, per_run=True))]
Caller = Annotated[Access, Depends(authorized(None))]
MetricsReader = Annotated[Access, Depends(metrics_access)]
