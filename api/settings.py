"""Settings of an API process (`ACTIONPOOL_` environment variables)."""

from __future__ import annotations

from pathlib import Path

import limits
from pydantic import Field, field_validator

from actionpool.api.identity.settings import IdentitySettings
from actionpool.worker.settings import PoolSettings

MAX_WAIT_S = 290
"""Longest `?wait`, and of a distributed action's invoke: under the 300 s after which Node's
fetch (undici's `headersTimeout`), which Backstage's callers use, gives up on an answer. Over
55 s, Roadie's `http:backstage:request` needs its `timeout` raised (60 s by default)."""
MAX_INVOKE_WAIT_S = MAX_WAIT_S


class ApiSettings(PoolSettings, IdentitySettings):
    api_host: str = Field(default="127.0.0.1")
    api_port: int = Field(default=8000, ge=1, le=65535)
    api_workers: int = Field(default=1, ge=1, description="uvicorn worker processes")
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, description="Largest request body")
    # Request limits (docs/http-api.md#limits): far above what a Backstage template sends.
    max_json_depth: int = Field(
        default=32,
        ge=1,
        description="Deepest nesting of objects and arrays below a JSON body's own (the input "
        "itself is never stored deeper than 32)",
    )
    max_json_items: int = Field(
        default=10_000, ge=1, description="Object members and array items in a JSON body, in all"
    )
    max_json_string_bytes: int = Field(
        default=64 * 1024, ge=256, description="Longest string in a JSON body, as sent"
    )
    max_url_bytes: int = Field(
        default=16 * 1024, ge=1024, description="Longest request target (path and query)"
    )
    max_header_bytes: int = Field(
        default=64 * 1024, ge=4096, description="Most bytes of header names and values"
    )
    headers_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="A request's line and headers must arrive within this long of the "
        "connection's start, or of the answer before it on the connection",
    )
    body_timeout_s: float = Field(
        default=30.0, gt=0, description="A request's body must arrive within this long"
    )
    rate_limit_enabled: bool = Field(
        default=True, description="Limit how fast each credential starts runs"
    )
    rate_limit_create: str = Field(
        default="120/minute",
        description="Runs one credential may start in a moving window, in the `limits` "
        "library's notation (`120/minute`, `10/second`, `1000 per hour`)",
    )

    @field_validator("rate_limit_create")
    @classmethod
    def _one_rate(cls, value: str) -> str:
        rates = limits.parse_many(value)  # a ValueError names the text it cannot read
        if len(rates) != 1 or rates[0].amount < 1:
            raise ValueError(f"{value!r}: one rate of at least 1, such as 120/minute")
        return value

    dev_data_dir: Path = Field(
        default=Path(".actionpool"), description="`actionpool dev`: the embedded Redis's data"
    )
    sse_keepalive_s: float = Field(
        default=15.0,
        gt=0,
        description="Live event streams send a keep-alive comment this often (idle proxies cut)",
    )
    invoke_wait_s: float = Field(
        default=240.0,
        gt=0,
        le=MAX_INVOKE_WAIT_S,
        description="Distributed actions: how long an invoke waits for its run before it "
        "answers 504 RunStillProcessingError (the run goes on)",
    )
    stats_max_runs: int = Field(
        default=50_000,
        ge=1,
        description="`GET /v1/stats`: most runs one request reads (the newest of its window)",
    )
    trace_url_template: str = Field(
        default="",
        description="The web page links a run's trace id through this URL, `{traceId}` "
        "replaced (Jaeger: `http://jaeger:16686/trace/{traceId}`; Tempo: an Explore URL); "
        "empty: the trace id shows as text",
    )
