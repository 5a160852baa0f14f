"""What the pool writes on spans: a run's attributes, errors, and the trace context a run
carries in its messages and its record.

Attribute names follow OpenTelemetry's CI/CD conventions where they fit (`cicd.*`: a template
is a pipeline, an action run is a task run) and `backstage.*` for the rest; the mapping is in
docs/observability.md. Every span started while a run's attributes are attached to the context
gets them (`RunAttributeProcessor`): the pool's own spans, the action's, and instrumented
libraries' (httpx).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import Getter
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import SpanKind
from opentelemetry.util.types import AttributeValue

from actionpool.actions.errors import ActionCancelledError, ActionTimeoutError
from actionpool.worker.store.records import Run, RunStatus
from actionpool.worker.telemetry import tracing

Attributes = dict[str, AttributeValue]

RUN_ATTRIBUTES = otel_context.create_key("actionpool.run-attributes")
"""Context key: the attributes of the run whose code is running."""
REDACT = otel_context.create_key("actionpool.redact")
"""Context key: masks the secrets of the run whose code is running."""

MESSAGING_SYSTEM = "celery"
HOST_NAME = socket.gethostname()


def run_attributes(
    run: Run, *, attempt: int | None = None, worker: str | None = None
) -> Attributes:
    """The attributes every span of `run` carries (only those with a value)."""
    context = run.context
    optional: dict[str, AttributeValue | None] = {
        "cicd.pipeline.name": context.template_ref,
        "backstage.template.ref": context.template_ref,
        "backstage.owner.ref": context.owner,
        "cicd.pipeline.run.id": context.task_id,
        "backstage.step.id": context.step_id,
        "backstage.user.ref": context.user_ref,
        "actionpool.attempt": attempt,
        "cicd.worker.id": worker,
        "host.name": HOST_NAME if worker else None,
    }
    attributes: Attributes = {
        "cicd.pipeline.task.name": run.action_id,
        "cicd.pipeline.task.run.id": run.id,
        "actionpool.queue": run.queue,
        "actionpool.dry_run": run.dry_run,
    }
    attributes.update({name: value for name, value in optional.items() if value is not None})
    return attributes


def result_of(status: str, error: BaseException | None = None) -> str:
    """`cicd.pipeline.task.run.result` of an attempt that ended with `status`."""
    if status == RunStatus.COMPLETED:
        return "success"
    if status == RunStatus.CANCELLED or isinstance(error, ActionCancelledError):
        return "cancellation"
    if isinstance(error, ActionTimeoutError):
        return "timeout"
    return "failure"


@contextlib.contextmanager
def attached(attributes: Attributes, redact: Callable[[str], str] | None = None) -> Iterator[None]:
    """Spans started inside get `attributes` (see `RunAttributeProcessor`); instrumented
    HTTP calls have their URL masked by `redact` (see `mask_url`)."""
    context = otel_context.set_value(RUN_ATTRIBUTES, attributes)
    if redact is not None:
        context = otel_context.set_value(REDACT, redact, context)
    token = otel_context.attach(context)
    try:
        yield
    finally:
        otel_context.detach(token)


class RunAttributeProcessor(SpanProcessor):
    """Copies the attached run attributes onto every span that starts (never overriding)."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        attributes = otel_context.get_value(RUN_ATTRIBUTES, parent_context)
        if not isinstance(attributes, dict):
            return
        present = span.attributes or {}
        span.set_attributes({k: v for k, v in attributes.items() if k not in present})

    def on_end(self, span: ReadableSpan) -> None:
        pass


def message_span(
    operation: str, queue: str, task_id: str, attempt: int, parent: Context | None = None
) -> AbstractContextManager[trace.Span]:
    """The span of publishing (`send`, producer) or processing (`process`, consumer) one
    attempt message, with OpenTelemetry's messaging attributes; the current span meanwhile."""
    kind = SpanKind.PRODUCER if operation == "send" else SpanKind.CONSUMER
    name = f"{'publish' if operation == 'send' else 'process'} {queue}"
    return tracing.tracer().start_as_current_span(
        name,
        context=parent,
        kind=kind,
        attributes={
            "messaging.system": MESSAGING_SYSTEM,
            "messaging.operation.type": operation,
            "messaging.destination.name": queue,
            "messaging.message.id": task_id,
            "actionpool.attempt": attempt,
        },
    )


URL_ATTRIBUTES = ("url.full", "http.url")


def mask_url(span: trace.Span, request: Any) -> None:
    """httpx instrumentation's request hook: the URL of an action's HTTP call with the run's
    secrets masked (a token in a path or query would otherwise be a span attribute)."""
    redact = otel_context.get_value(REDACT)
    if not callable(redact) or not span.is_recording():
        return
    url = redact(str(request.url))
    present = getattr(span, "attributes", None) or {}
    span.set_attributes({name: url for name in URL_ATTRIBUTES if name in present})


async def mask_url_async(span: trace.Span, request: Any) -> None:
    mask_url(span, request)


def inject_headers() -> dict[str, str]:
    """The current trace context as message headers (W3C `traceparent`, `tracestate`)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def current_traceparent() -> str | None:
    """The current span's `traceparent` (kept in the run record: the parent of what the
    pool does for the run later, outside any message: recovering it, publishing it again)."""
    return inject_headers().get("traceparent")


class AttributeGetter(Getter[Any]):
    """Reads propagation fields from an object's attributes (a Celery task request)."""

    def get(self, carrier: Any, key: str) -> list[str] | None:
        value = getattr(carrier, key, None)
        return [value] if isinstance(value, str) else None

    def keys(self, carrier: Any) -> list[str]:
        return []


def context_from_request(request: Any) -> Context:
    """The trace context a Celery message carried in its headers."""
    return propagate.extract(request, getter=AttributeGetter())


@contextlib.contextmanager
def resumed(traceparent: str | None) -> Iterator[None]:
    """Continue the trace of a run from its stored `traceparent` (no-op without one)."""
    if not traceparent:
        yield
        return
    token = otel_context.attach(propagate.extract({"traceparent": traceparent}))
    try:
        yield
    finally:
        otel_context.detach(token)
