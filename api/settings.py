"""Settings of an API process (`ACTIONPOOL_` environment variables)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from actionpool.worker.settings import PoolSettings

MAX_WAIT_S = 55
"""Longest `?wait`: under the 60 s default timeout of Backstage's `http:backstage:request`."""


class ApiSettings(PoolSettings):
    api_host: str = Field(default="127.0.0.1")
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_workers: int = Field(default=1, ge=1, description="uvicorn worker processes")
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, description="Largest request body")
    dev_data_dir: Path = Field(
        default=Path(".actionpool"), description="`actionpool dev`: the embedded Redis's data"
    )
    sse_keepalive_s: float = Field(
        default=15.0,
        gt=0,
        description="Live event streams send a keep-alive comment this often (idle proxies cut)",
    )
    stats_max_runs: int = Field(
        default=50_000,
        ge=1,
        description="`GET /v1/stats`: most runs one request reads (the newest of its window)",
    )
