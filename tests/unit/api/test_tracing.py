"""Server spans: named by route, parented by the traceparent header or the body's."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from actionpool.api.tracing import trace_requests

pytestmark = pytest.mark.anyio

TRACE, PARENT = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE}-{PARENT}-01"


def traced_app() -> tuple[FastAPI, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = FastAPI()

    @app.post("/things/{thingId}")
    async def make(thingId: str, body: dict[str, object]) -> dict[str, object]:  # noqa: N803
        return body

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    trace_requests(app, provider)
    return app, exporter


async def call(app: FastAPI, path: str, **kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        return await http.request(kwargs.pop("method", "POST"), path, **kwargs)  # type: ignore[arg-type]


def server_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    (span,) = exporter.get_finished_spans()
    return span


async def test_the_span_is_named_by_route_not_by_path() -> None:
    app, exporter = traced_app()
    # When a request for one thing is served
    assert (await call(app, "/things/t-1", json={})).status_code == 200
    # Then its span has the route's name (no id in it)
    span = server_span(exporter)
    assert span.name == "POST /things/{thingId}"
    assert span.attributes and span.attributes["http.route"] == "/things/{thingId}"


async def test_a_traceparent_in_the_body_is_the_parent_when_no_header_is_sent() -> None:
    app, exporter = traced_app()
    # When the traceparent comes in the body's context only
    body = {"context": {"traceparent": TRACEPARENT}, "input": {}}
    response = await call(app, "/things/t-1", json=body)
    # Then the body reached the route unchanged, and the span continues that trace
    assert response.json() == body
    span = server_span(exporter)
    assert span.parent is not None
    assert (f"{span.context.trace_id:032x}", f"{span.parent.span_id:016x}") == (TRACE, PARENT)


async def test_the_header_wins_over_the_body() -> None:
    app, exporter = traced_app()
    other = f"00-{'1' * 32}-{'2' * 16}-01"
    await call(
        app,
        "/things/t-1",
        json={"context": {"traceparent": other}},
        headers={"traceparent": TRACEPARENT},
    )
    assert f"{server_span(exporter).context.trace_id:032x}" == TRACE


DEEP = b'{"traceparent": "x", "a": ' + b"[" * 1000 + b"]" * 1000 + b"}"
"""A body too deeply nested for Python's JSON parser (it used to fail the request with a 500)."""


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 422),
        (b'{"context": "x", "traceparent": 1}', 200),
        (b"[1]", 422),
        (DEEP, 400),
    ],
)
async def test_bodies_without_a_usable_traceparent_pass_through(body: bytes, status: int) -> None:
    app, exporter = traced_app()
    # When the body is not JSON, or has no string context.traceparent
    response = await call(
        app, "/things/t-1", content=body, headers={"content-type": "application/json"}
    )
    # Then the route answers as it would anyway, and the span starts a new trace
    assert response.status_code == status
    assert server_span(exporter).parent is None


async def test_probes_are_not_traced() -> None:
    app, exporter = traced_app()
    await call(app, "/healthz", method="GET")
    assert exporter.get_finished_spans() == ()


def untraced_app() -> FastAPI:
    """An app whose process has no tracer provider (tracing off)."""
    app = FastAPI()

    @app.post("/things/{thingId}")
    async def make(thingId: str, body: dict[str, object]) -> dict[str, str]:  # noqa: N803
        context = trace.get_current_span().get_span_context()
        return {"traceId": f"{context.trace_id:032x}", "spanId": f"{context.span_id:016x}"}

    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    trace_requests(app)
    return app


async def test_with_tracing_off_the_callers_context_is_still_current() -> None:
    app = untraced_app()
    # When the trace context comes in the header, or in the body
    by_header = await call(app, "/things/t", json={}, headers={"traceparent": TRACEPARENT})
    by_body = await call(app, "/things/t", json={"context": {"traceparent": TRACEPARENT}})
    without = await call(app, "/things/t", json={})
    # Then the route runs in the caller's context (no span of its own), or in none
    assert by_header.json() == by_body.json() == {"traceId": TRACE, "spanId": PARENT}
    assert without.json()["traceId"] == "0" * 32
