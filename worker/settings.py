"""Settings shared by every process of the pool (`ACTIONPOOL_` environment variables)."""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from actionpool.actions.settings import ActionSettings

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


class PoolSettings(ActionSettings):
    """Settings of the run store, the broker and the workers (and, inherited, of the actions
    they serve)."""

    model_config = SettingsConfigDict(
        env_prefix="ACTIONPOOL_", env_nested_delimiter="__", extra="ignore"
    )

    redis_url: str = Field(
        default=DEFAULT_REDIS_URL, description="Redis for runs and the Celery broker"
    )
    key_prefix: str = Field(
        default="actionpool:", description="Prefix of every Redis key (runs and broker)"
    )
    redis_socket_timeout_s: float = Field(default=5.0, gt=0)
    idempotency_retention_s: int = Field(
        default=7 * 24 * 3600, ge=60, description="How long an idempotency key is remembered"
    )
    run_retention_s: int = Field(
        default=30 * 24 * 3600, ge=60, description="How long a finished run is kept"
    )
    events_max_per_run: int = Field(default=10_000, ge=100)
    visibility_timeout_s: int = Field(
        default=3600, ge=1, description="Broker redelivery timeout of unacknowledged messages"
    )
    heartbeat_interval_s: float = Field(
        default=2.0, gt=0, description="How often a running attempt renews its lease"
    )
    lease_ttl_s: float = Field(
        default=10.0, gt=0, description="A lease not renewed for this long has expired"
    )
    sweep_interval_s: float = Field(
        default=5.0, gt=0, description="How often workers look for runs whose lease expired"
    )
    redispatch_after_s: float = Field(
        default=60.0,
        gt=0,
        description="An open run whose message left its queue this long ago without its "
        "attempt starting is put on the queue again (the message was lost in the broker)",
    )
    metrics_label_owners: list[str] | None = Field(
        default=None,
        description="The only owners that label metrics (others count as _other); unset: the "
        "first 200 seen",
    )
    metrics_label_templates: list[str] | None = Field(
        default=None,
        description="The only templates that label metrics (others count as _other); unset: "
        "the first 200 seen",
    )
    allow_eviction: bool = Field(
        default=False,
        description="Run on a Redis whose maxmemory-policy may evict keys (runs can vanish)",
    )
    cancel_grace_s: float = Field(
        default=10.0, ge=0, description="How long a cancelled attempt may take to stop"
    )
    worker_shutdown_grace_s: float = Field(
        default=25.0,
        ge=0,
        description="On SIGTERM, how long running attempts may finish before they are handed back",
    )
    worker_heartbeat_interval_s: float = Field(
        default=5.0,
        gt=0,
        description="How often a worker tells the pool it is alive (GET /v1/workers); one "
        "silent for 3 intervals shows lost",
    )
    worker_concurrency: int = Field(default=4, ge=1)
    task_events: bool = Field(
        default=False,
        description="Workers send Celery task events (for Flower: docs/operations.md#flower)",
    )
    worker_queues: list[str] = Field(
        default_factory=list, description="Queues a worker consumes; empty = every action queue"
    )
    worker_name: str = Field(default_factory=lambda: f"actionpool@{socket.gethostname()}")
    workspace_root: Path = Field(
        default_factory=lambda: Path(tempfile.gettempdir()) / "actionpool",
        description="Where each attempt gets its private workspace directory",
    )
    log_level: str = Field(default="INFO", description="Level of the process logs")
    log_format: Literal["auto", "json", "text"] = Field(
        default="auto", description="Process logs: JSON lines, or text on a terminal (auto)"
    )
    secrets_keys: list[SecretStr] = Field(
        default_factory=list,
        description="Fernet keys (a JSON list) that encrypt run secrets in Redis: the first "
        "encrypts, every one decrypts (rotation: docs/security.md#secrets)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> PoolSettings:
        if self.run_retention_s < self.idempotency_retention_s:
            raise ValueError("run_retention_s must be at least idempotency_retention_s")
        if self.lease_ttl_s <= 2 * self.heartbeat_interval_s:
            raise ValueError("lease_ttl_s must exceed two heartbeat intervals")
        return self


class TelemetrySettings(BaseSettings):
    """The standard `OTEL_*` variables the pool decides on itself; the OpenTelemetry SDK and
    exporters read the rest (endpoint, headers, sampler, resource, batching) as usual."""

    model_config = SettingsConfigDict(env_prefix="OTEL_", extra="ignore")

    sdk_disabled: bool = False
    service_name: str | None = None
    resource_attributes: str | None = None
    traces_exporter: str | None = Field(
        default=None, description="otlp, console, none (comma-separated); default: see tracing"
    )
    exporter_otlp_protocol: str = "http/protobuf"
    exporter_otlp_traces_protocol: str | None = None
    exporter_otlp_endpoint: str | None = None
    exporter_otlp_traces_endpoint: str | None = None

    @property
    def exporters(self) -> list[str]:
        """The trace exporters to use: as named, else `otlp` when an OTLP endpoint is set,
        else none (a pool without a collector does not log export failures forever)."""
        if self.traces_exporter is not None:
            names = [n.strip().lower() for n in self.traces_exporter.split(",") if n.strip()]
            return [n for n in names if n != "none"]
        endpoint = self.exporter_otlp_traces_endpoint or self.exporter_otlp_endpoint
        return ["otlp"] if endpoint else []

    @property
    def otlp_protocol(self) -> str:
        return (self.exporter_otlp_traces_protocol or self.exporter_otlp_protocol).strip().lower()

    @property
    def names_service(self) -> bool:
        """True when `OTEL_SERVICE_NAME` or `OTEL_RESOURCE_ATTRIBUTES` sets service.name."""
        attributes = self.resource_attributes or ""
        return bool(self.service_name) or any(
            pair.split("=", 1)[0].strip() == "service.name" for pair in attributes.split(",")
        )
