"""FastAPI dependencies: the pool client and the settings held by the app.

`async def` so FastAPI does not send them to the thread pool on every request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.settings import ApiSettings
from worker.client import PoolClient


async def get_client(request: Request) -> PoolClient:
    client: PoolClient = request.app.state.client
    return client


async def get_settings(request: Request) -> ApiSettings:
    """The settings the app was built with (`create_app` keeps them in `app.state`)."""
    settings: ApiSettings = request.app.state.settings
    return settings


ClientDep = Annotated[PoolClient, Depends(get_client)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
