"""Tracing setup from `OTEL_*` settings, and the attributes and context of a run's spans."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as Grpc
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as Http
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter

from actionpool.actions.errors import ActionCancelledError, ActionTimeoutError
from actionpool.worker.settings import TelemetrySettings
from actionpool.worker.store.records import Run, RunContext, RunStatus
from actionpool.worker.telemetry import spans
from actionpool.worker.telemetry.tracing import (
    TracingConfigError,
    build_exporter,
    build_provider,
    check_tracing,
    configure_tracing,
)


def settings(**values: str) -> TelemetrySettings:
    return TelemetrySettings.model_validate(values)


@pytest.mark.parametrize(
    ("values", "exporters"),
    [
        ({}, []),  # no collector named: nothing exported
        ({"exporter_otlp_endpoint": "http://c:4318"}, ["otlp"]),
        ({"exporter_otlp_traces_endpoint": "http://c:4318/v1/traces"}, ["otlp"]),
        ({"traces_exporter": "console,otlp"}, ["console", "otlp"]),
        ({"traces_exporter": "none", "exporter_otlp_endpoint": "http://c:4318"}, []),
    ],
)
def test_which_exporters_the_environment_asks_for(
    values: dict[str, str], exporters: list[str]
) -> None:
    assert settings(**values).exporters == exporters


def test_the_otlp_protocol_picks_the_exporter() -> None:
    assert isinstance(build_exporter("otlp", settings()), Http)
    assert isinstance(build_exporter("otlp", settings(exporter_otlp_protocol="grpc")), Grpc)
    traces_only = settings(
        exporter_otlp_protocol="grpc", exporter_otlp_traces_protocol="http/protobuf"
    )
    assert isinstance(build_exporter("otlp", traces_only), Http)
    assert isinstance(build_exporter("console", settings()), ConsoleSpanExporter)


@pytest.mark.parametrize(
    "values",
    [
        {"traces_exporter": "zipkin"},
        {"traces_exporter": "otlp", "exporter_otlp_protocol": "http/json"},
    ],
)
def test_an_unknown_exporter_or_protocol_is_refused_at_start(values: dict[str, str]) -> None:
    with pytest.raises(TracingConfigError):
        check_tracing(settings(**values))


def test_the_service_name_is_ours_unless_the_environment_names_one() -> None:
    assert (
        build_provider(settings(), "actionpool-api").resource.attributes["service.name"]
        == "actionpool-api"
    )
    named = settings(resource_attributes="team=web,service.name=pool")
    assert named.names_service
    assert settings(service_name="pool").names_service


def run(**context: str) -> Run:
    return Run(
        id="r-1",
        action_id="acme:create-repo",
        status=RunStatus.OPEN,
        input={"token": "never on a span"},
        max_attempts=3,
        context=RunContext(**context),
        queue="long",
        created_at=datetime.now(UTC),
    )


def test_run_attributes_use_the_cicd_conventions_and_skip_what_is_unknown() -> None:
    # Given a run from a Backstage template step
    full = run(
        template_ref="template:default/svc",
        owner="group:default/web",
        task_id="t",
        step_id="s",
        user_ref="user:default/ada",
    )
    # When its attributes are taken for a worker span
    attributes = spans.run_attributes(full, attempt=2, worker="w1@host")
    # Then they carry the run, the template as the pipeline, the task and the worker
    assert attributes["cicd.pipeline.name"] == "template:default/svc"
    assert attributes["cicd.pipeline.run.id"] == "t"
    assert attributes["cicd.pipeline.task.name"] == "acme:create-repo"
    assert attributes["cicd.pipeline.task.run.id"] == "r-1"
    assert attributes["cicd.worker.id"] == "w1@host"
    assert (attributes["actionpool.attempt"], attributes["actionpool.queue"]) == (2, "long")
    assert "never on a span" not in repr(attributes)
    # And a run without context or worker has only what is known
    bare = spans.run_attributes(run())
    assert "cicd.pipeline.name" not in bare and "cicd.worker.id" not in bare


@pytest.mark.parametrize(
    ("status", "error", "result"),
    [
        (RunStatus.COMPLETED, None, "success"),
        (RunStatus.FAILED, ValueError(), "failure"),
        (RunStatus.FAILED, ActionTimeoutError("slow"), "timeout"),
        (RunStatus.FAILED, ActionCancelledError("stop"), "cancellation"),
        (RunStatus.CANCELLED, None, "cancellation"),
    ],
)
def test_result_of_an_attempt(status: RunStatus, error: BaseException | None, result: str) -> None:
    assert spans.result_of(status, error) == result


def test_spans_started_under_attached_attributes_carry_them() -> None:
    # Given a provider with the run attribute processor
    provider = TracerProvider()
    provider.add_span_processor(spans.RunAttributeProcessor())
    tracer = provider.get_tracer("test")
    # When a span starts while a run's attributes are attached (one set explicitly)
    attached = spans.attached({"cicd.pipeline.task.run.id": "r-1", "actionpool.attempt": 1})
    with (
        attached,
        tracer.start_as_current_span("child", attributes={"actionpool.attempt": 2}) as span,
    ):
        pass
    with tracer.start_as_current_span("outside") as outside:
        pass
    # Then it carries them, without losing its own, and spans outside do not
    assert span.attributes == {"actionpool.attempt": 2, "cicd.pipeline.task.run.id": "r-1"}  # type: ignore[attr-defined]
    assert not outside.attributes  # type: ignore[attr-defined]


def test_the_trace_context_goes_into_headers_and_comes_back_from_a_request() -> None:
    # Given a current span
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("publish") as span:
        headers = spans.inject_headers()
        stored = spans.current_traceparent()
    # When a consumer reads the headers from its task request's attributes
    context = spans.context_from_request(SimpleNamespace(**headers))
    # Then it continues that span's trace
    trace_id = span.get_span_context().trace_id
    assert stored == headers["traceparent"] and f"{trace_id:032x}" in stored
    with tracer.start_as_current_span("process", context=context) as child:
        assert child.get_span_context().trace_id == trace_id
    with spans.resumed(stored), tracer.start_as_current_span("recovered") as later:
        assert later.get_span_context().trace_id == trace_id


def test_without_an_exporter_no_provider_is_installed() -> None:
    # Given settings that name no exporter, or disable the SDK
    for quiet in (
        settings(),
        settings(exporter_otlp_endpoint="http://c:4318", sdk_disabled="true"),
    ):
        # Then tracing is off: no provider (its spans would reach nobody)
        assert configure_tracing(quiet, "actionpool-api") is None


def test_a_service_name_from_the_environment_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given OTEL_SERVICE_NAME in the environment (the SDK's resource reads it)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "pool-eu")
    # When the provider is built with the settings read from that environment
    provider = build_provider(TelemetrySettings(), "actionpool-worker")
    # Then the operator's name wins over ours
    assert provider.resource.attributes["service.name"] == "pool-eu"
