"""Tracing setup: one OpenTelemetry tracer provider per process, configured by `OTEL_*`.

The API process and each worker child process (`worker_process_init`) install theirs as the
global provider. A worker's main process installs none, so every child it forks (also the
ones that replace killed or recycled children) sets up its own: what the main process
publishes (recovered attempts) carries the run's stored trace context without a span of its own.
"""

from __future__ import annotations

import logging
import os
import socket

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from actionpool.worker.settings import TelemetrySettings

log = logging.getLogger(__name__)

INSTRUMENTATION_NAME = "actionpool"
FLUSH_TIMEOUT_MS = 5000
KILL_FLUSH_TIMEOUT_MS = 1000
"""A process about to kill itself waits at most this long for its spans to go out."""

_provider: TracerProvider | None = None


class TracingConfigError(ValueError):
    """An `OTEL_*` setting names an exporter or protocol the pool does not know."""


def exporter_kind(name: str, settings: TelemetrySettings) -> str:
    """`console`, `otlp-grpc` or `otlp-http` for an `OTEL_TRACES_EXPORTER` name, or why not."""
    if name == "console":
        return name
    if name != "otlp":
        raise TracingConfigError(f"OTEL_TRACES_EXPORTER: unknown exporter {name!r}")
    protocols = {"grpc": "otlp-grpc", "http/protobuf": "otlp-http"}
    if settings.otlp_protocol not in protocols:
        raise TracingConfigError(
            f"OTEL_EXPORTER_OTLP_PROTOCOL: {settings.otlp_protocol!r} is not grpc or http/protobuf"
        )
    return protocols[settings.otlp_protocol]


def check_tracing(settings: TelemetrySettings) -> None:
    """Fail at start on an exporter or protocol the pool does not know (builds nothing)."""
    for name in settings.exporters:
        exporter_kind(name, settings)


def build_exporter(name: str, settings: TelemetrySettings) -> SpanExporter:
    """The exporter an `OTEL_TRACES_EXPORTER` name stands for (the SDK reads its options:
    endpoint, headers, timeout, compression)."""
    kind = exporter_kind(name, settings)
    if kind == "console":
        return ConsoleSpanExporter()
    if kind == "otlp-grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter as GrpcExporter,
        )

        return GrpcExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
        OTLPSpanExporter as HttpExporter,
    )

    return HttpExporter()


def build_provider(
    settings: TelemetrySettings,
    service_name: str,
    processors: tuple[SpanProcessor, ...] = (),
) -> TracerProvider:
    """A provider with the resource, sampler (`OTEL_TRACES_SAMPLER`) and exporters of the
    environment; `service_name` unless `OTEL_SERVICE_NAME`/`OTEL_RESOURCE_ATTRIBUTES` name one."""
    attributes: dict[str, str | int] = {
        "host.name": socket.gethostname(),
        "process.pid": os.getpid(),
    }
    if not settings.names_service:
        attributes["service.name"] = service_name
    provider = TracerProvider(resource=Resource.create(attributes))
    for processor in processors:
        provider.add_span_processor(processor)
    for name in settings.exporters:
        provider.add_span_processor(BatchSpanProcessor(build_exporter(name, settings)))
    return provider


def configure_tracing(
    settings: TelemetrySettings,
    service_name: str,
    processors: tuple[SpanProcessor, ...] = (),
) -> TracerProvider | None:
    """Install this process's global provider; none when `OTEL_SDK_DISABLED=true` or no
    exporter is configured (spans nobody receives are not worth their cost: a caller's
    `traceparent` still propagates through the API's no-op spans to the workers)."""
    global _provider
    if settings.sdk_disabled or not settings.exporters:
        return None
    _provider = build_provider(settings, service_name, processors)
    trace.set_tracer_provider(_provider)
    log.debug("tracing: %s, exporters %s", service_name, settings.exporters or ["none"])
    return _provider


def tracer() -> trace.Tracer:
    """The tracer for spans the pool writes (no-op until `configure_tracing`)."""
    return trace.get_tracer(INSTRUMENTATION_NAME)


def flush_spans() -> None:
    """Export the spans that have ended (before a process kills itself)."""
    if _provider is not None:
        _provider.force_flush(KILL_FLUSH_TIMEOUT_MS)


def shutdown_tracing() -> None:
    """Flush and stop this process's provider (before the process exits)."""
    global _provider
    if _provider is not None:
        _provider.shutdown()
        _provider = None
