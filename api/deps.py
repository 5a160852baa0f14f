"""FastAPI dependencies: the pool client held by the app.

`async def` so FastAPI does not send it to the thread pool on every request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from worker.client import PoolClient


async def get_client(request: Request) -> PoolClient:
    client: PoolClient = request.app.state.client
    return client


ClientDep = Annotated[PoolClient, Depends(get_client)]
