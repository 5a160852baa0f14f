"""The API's server spans: OpenTelemetry's ASGI middleware, named by route, continuing the
trace of a `traceparent` header or, since the Backstage proxy drops custom headers, of
`context.traceparent` in the body of a request that has no such header.

With tracing off (no tracer provider) there are no server spans to make: a lighter
middleware only carries the caller's trace context on to the workers.
"""

from __future__ import annotations

import json

from fastapi import FastAPI
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.trace import TracerProvider
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from actionpool.api.limits import replay

UNTRACED_PATHS = "/healthz,/readyz,/metrics"
TRACEPARENT = b"traceparent"


def method_only(scope: Scope) -> tuple[str, dict[str, str]]:
    """A server span's first name: the method (`RouteNameMiddleware` adds the route; raw
    paths carry run ids and would make every span name unique)."""
    return str(scope.get("method", "HTTP")), {}


def trace_requests(app: FastAPI, tracer_provider: TracerProvider | None = None) -> None:
    """Add the tracing middlewares (spans go to the global provider unless one is given);
    call before adding any middleware that must stay outside the server span."""
    tracing_off = tracer_provider is None and isinstance(
        trace.get_tracer_provider(), trace.ProxyTracerProvider
    )
    if tracing_off:
        app.add_middleware(PropagationMiddleware)
    else:
        app.add_middleware(RouteNameMiddleware)
        app.add_middleware(
            OpenTelemetryMiddleware,
            excluded_urls=UNTRACED_PATHS,
            default_span_details=method_only,
            exclude_spans=["receive", "send"],
            tracer_provider=tracer_provider,
        )
    app.add_middleware(TraceparentFromBodyMiddleware)


PROPAGATED = (b"traceparent", b"tracestate", b"baggage")


class PropagationMiddleware:
    """Tracing off: makes the caller's trace context current for the request (no span), so
    what the request publishes carries it and log lines show its trace id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope.get("headers", ())
            if name in PROPAGATED
        }
        if "traceparent" not in carrier:
            await self.app(scope, receive, send)
            return
        token = otel_context.attach(propagate.extract(carrier))
        try:
            await self.app(scope, receive, send)
        finally:
            otel_context.detach(token)


class RouteNameMiddleware:
    """Names the server span `METHOD /route/{template}` once routing found the route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_named(message: Message) -> None:
            path = getattr(scope.get("route"), "path", None)
            if message["type"] == "http.response.start" and isinstance(path, str):
                span = trace.get_current_span()  # still open: it ends with the response
                span.update_name(f"{scope['method']} {path}")
                span.set_attribute("http.route", path)
            await send(message)

        await self.app(scope, receive, send_named)


class TraceparentFromBodyMiddleware:
    """Copies `context.traceparent` from a JSON body into the `traceparent` header when the
    request has none, so the server span continues the caller's trace."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or _has_traceparent(scope):
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before sending its body
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        traceparent = _traceparent_in(body) if TRACEPARENT in body else None
        if traceparent:
            scope = {**scope, "headers": [*scope["headers"], (TRACEPARENT, traceparent.encode())]}
        await self.app(scope, replay(body, receive), send)


def _has_traceparent(scope: Scope) -> bool:
    return any(name == TRACEPARENT for name, _ in scope["headers"])


def _traceparent_in(body: bytes) -> str | None:
    """`context.traceparent` of a JSON object body, if it is a string (else the route will
    answer the malformed body as usual)."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to parse
        return None
    context = document.get("context") if isinstance(document, dict) else None
    value = context.get("traceparent") if isinstance(context, dict) else None
    return value if isinstance(value, str) and value.isascii() else None
