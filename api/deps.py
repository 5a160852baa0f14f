"""FastAPI dependencies: the pool client and settings held by the app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.settings import ApiSettings
from worker.client import PoolClient


def get_client(request: Request) -> PoolClient:
    client: PoolClient = request.app.state.client
    return client


def get_settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


ClientDep = Annotated[PoolClient, Depends(get_client)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
