"""Spans an action writes (`ctx.span`, `ctx.checkpoint`), and how an error is recorded on a
span with the run's secrets masked.

Only the OpenTelemetry API is used here: the process that runs the action (a pool worker, a
test) decides where spans go, or that they go nowhere.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable, Iterator

from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from opentelemetry.util.types import AttributeValue

TRACER_NAME = "actionpool.actions"


def record_error(
    span: trace.Span, error: BaseException, name: str, redact: Callable[[str], str]
) -> None:
    """Status ERROR and an `exception` event, every text masked by `redact` (never
    `span.record_exception`: its message and stack trace would carry secrets as they are)."""
    message = redact(str(error)) or name
    span.set_status(Status(StatusCode.ERROR, message))
    span.add_event(
        "exception",
        {
            "exception.type": name,
            "exception.message": message,
            "exception.stacktrace": redact("".join(traceback.format_exception(error))),
        },
    )


@contextlib.contextmanager
def child_span(
    tracer: trace.Tracer,
    name: str,
    attributes: dict[str, AttributeValue],
    redact: Callable[[str], str],
) -> Iterator[trace.Span]:
    """A span around part of an action; its text attributes and an exception escaping it are
    recorded with `redact` applied (a repository URL may carry a token)."""
    masked = {k: redact(v) if isinstance(v, str) else v for k, v in attributes.items()}
    with tracer.start_as_current_span(
        name, attributes=masked, record_exception=False, set_status_on_exception=False
    ) as span:
        try:
            yield span
        except BaseException as exc:
            record_error(span, exc, type(exc).__name__, redact)
            raise
