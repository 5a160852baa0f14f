"""FastAPI dependencies: the pool client and the settings held by the app.

`async def` so FastAPI does not send them to the thread pool on every request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from actionpool.actions.errors import UnsupportedMediaTypeError
from actionpool.api.settings import ApiSettings
from actionpool.worker.client import PoolClient


async def get_client(request: Request) -> PoolClient:
    client: PoolClient = request.app.state.client
    return client


async def get_settings(request: Request) -> ApiSettings:
    """The settings the app was built with (`create_app` keeps them in `app.state`)."""
    settings: ApiSettings = request.app.state.settings
    return settings


ClientDep = Annotated[PoolClient, Depends(get_client)]
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
