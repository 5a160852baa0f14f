"""Process logs: one JSON object per line (`python-json-logger`), with the trace and run a
line belongs to; readable text instead when the output is a terminal.

Every line gets `trace_id` and `span_id` (of the current span) and, inside a run's code,
`run_id`, `action_id` and `owner` (from the run attributes attached to the context, see
`worker.spans`). An action's own log lines reach these logs too, secrets already masked by
the run's logger (`worker.runlog`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, Literal

from opentelemetry import context as otel_context
from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

from actionpool.worker.telemetry.spans import REDACT, RUN_ATTRIBUTES

LogFormat = Literal["auto", "json", "text"]

RUN_FIELDS = {
    "run_id": "cicd.pipeline.task.run.id",
    "action_id": "cicd.pipeline.task.name",
    "owner": "backstage.owner.ref",
}
"""Log field -> the run attribute it comes from."""

JSON_FIELDS = ["levelname", "name", "message", "trace_id", "span_id", *RUN_FIELDS]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s%(context)s"


class ContextFilter(logging.Filter):
    """Adds the trace and run fields of the current context to every record, and inside a
    run masks its secrets in every record, whichever library logged it (httpx logs URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact = otel_context.get_value(REDACT)
        if callable(redact):
            mask_record(record, redact)
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            record.trace_id = format(span_context.trace_id, "032x")
            record.span_id = format(span_context.span_id, "016x")
        attributes = otel_context.get_value(RUN_ATTRIBUTES)
        if isinstance(attributes, dict):
            for field, attribute in RUN_FIELDS.items():
                if attribute in attributes and not hasattr(record, field):
                    setattr(record, field, attributes[attribute])
        record.context = _text_context(record)
        return True


def mask_record(record: logging.LogRecord, redact: Callable[[str], str]) -> None:
    """Mask secrets in a record's message and exception text (formatted now, once)."""
    record.msg, record.args = redact(record.getMessage()), None
    if record.exc_info:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        record.exc_info = None


def _text_context(record: logging.LogRecord) -> str:
    """` [run_id=… trace_id=…]` for the text format (empty outside a run or trace)."""
    pairs = [
        f"{field}={getattr(record, field)}"
        for field in ("run_id", "action_id", "trace_id")
        if getattr(record, field, None)
    ]
    return f" [{' '.join(pairs)}]" if pairs else ""


def build_formatter(log_format: LogFormat, is_terminal: bool) -> logging.Formatter:
    if log_format == "text" or (log_format == "auto" and is_terminal):
        return logging.Formatter(TEXT_FORMAT)
    return CompactJsonFormatter(
        JSON_FIELDS,
        rename_fields={"levelname": "level", "name": "logger"},
        reserved_attrs=[*_STANDARD_ATTRIBUTES, "context", "color_message"],  # uvicorn's ANSI copy
        timestamp="time",  # ISO 8601, UTC
    )


class CompactJsonFormatter(JsonFormatter):
    """Leaves out fields without a value (no `"run_id": null` outside runs)."""

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {name: value for name, value in log_data.items() if value is not None}


_STANDARD_ATTRIBUTES = list(vars(logging.makeLogRecord({})).keys())


def configure_logging(level: str, log_format: LogFormat) -> None:
    """Root logging to stderr in the chosen format, for this process and its children."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(build_formatter(log_format, sys.stderr.isatty()))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
