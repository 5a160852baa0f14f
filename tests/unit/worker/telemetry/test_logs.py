"""Process logs: JSON lines with the trace and run; the run logger masks secrets first."""

from __future__ import annotations

import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from actionpool.actions.redaction import Redactor
from actionpool.worker.execution.runlog import RedactFilter
from actionpool.worker.telemetry import spans
from actionpool.worker.telemetry.logs import ContextFilter, build_formatter


def formatted(record: logging.LogRecord, log_format: str = "json", terminal: bool = False) -> str:
    ContextFilter().filter(record)
    return build_formatter(log_format, terminal).format(record)  # type: ignore[arg-type]


def record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("actionpool.run.r-1", logging.INFO, __file__, 1, message, args, None)


def test_a_line_inside_a_run_carries_the_trace_and_the_run() -> None:
    # Given a current span and a run's attributes attached
    tracer = TracerProvider().get_tracer("test")
    attributes = {
        "cicd.pipeline.task.run.id": "r-1",
        "cicd.pipeline.task.name": "acme:x",
        "backstage.owner.ref": "group:default/web",
    }
    with tracer.start_as_current_span("attempt") as span, spans.attached(attributes):
        # When a line is logged
        line = json.loads(formatted(record("step %d done", 2)))
    # Then it is one JSON object with the trace, the span and the run
    context = span.get_span_context()
    assert line["message"] == "step 2 done" and line["level"] == "INFO"
    assert (
        line["trace_id"] == f"{context.trace_id:032x}"
        and line["span_id"] == f"{context.span_id:016x}"
    )
    assert (line["run_id"], line["action_id"], line["owner"]) == (
        "r-1",
        "acme:x",
        "group:default/web",
    )
    assert "time" in line and line["logger"] == "actionpool.run.r-1"


def test_a_line_outside_runs_and_traces_has_no_empty_fields() -> None:
    line = json.loads(formatted(record("ready")))
    assert set(line) == {"level", "logger", "message", "time"}


def test_a_terminal_gets_text() -> None:
    assert formatted(record("ready"), "auto", terminal=True).endswith(
        "INFO actionpool.run.r-1 ready"
    )
    assert formatted(record("ready"), "auto", terminal=False).startswith("{")


def test_the_run_logger_masks_secrets_in_messages_and_exceptions() -> None:
    # Given a run logger's filter for a run with a secret
    mask = RedactFilter(Redactor(["s3cr3t-token"]))
    try:
        raise RuntimeError("push refused for s3cr3t-token")
    except RuntimeError as exc:
        line = logging.LogRecord(
            "r",
            logging.ERROR,
            __file__,
            1,
            "token %s",
            ("s3cr3t-token",),
            (RuntimeError, exc, exc.__traceback__),
        )
    # When the record passes it
    mask.filter(line)
    # Then neither the message nor the exception text holds the secret
    assert line.getMessage() == "token ***"
    assert (
        line.exc_text and "push refused for ***" in line.exc_text and "s3cr3t" not in line.exc_text
    )
    assert "s3cr3t" not in formatted(line)


def test_inside_a_run_any_library_line_is_masked() -> None:
    # Given a run's secrets attached to the context (as the executor does)
    redact = Redactor(["s3cr3t-token"]).redact
    with spans.attached({"cicd.pipeline.task.run.id": "r-1"}, redact):
        # When a library logs a URL with the secret in it
        line = logging.LogRecord(
            "httpx", logging.INFO, __file__, 1, "GET %s", ("https://x/?t=s3cr3t-token",), None
        )
        text = formatted(line)
    # Then the process log line is masked
    assert "s3cr3t" not in text and json.loads(text)["message"] == "GET https://x/?t=***"
