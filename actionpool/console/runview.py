"""The pure parts of the `runs` commands: the listing's query, a run as a table row or as
a detail view, the trace id, what changed between two looks, and `--secret` values."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from actionpool.console.http import EXIT_USAGE, CliError
from actionpool.console.output import age, duration, parse_time, table, text

TERMINAL = frozenset({"completed", "failed", "cancelled"})
LIST_COLUMNS = ("ID", "ACTION", "STATUS", "ATTEMPTS", "OWNER", "TEMPLATE", "AGE", "DURATION")
_SPAN = re.compile(r"(\d+)([smhd])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")


def since_time(since: str, now: datetime) -> str:
    """`--since 1h` (s, m, h, d) or an ISO 8601 time, as the ISO time it means."""
    found = _SPAN.fullmatch(since.strip())
    if found:
        seconds = int(found.group(1)) * _UNIT_S[found.group(2)]
        return (now - timedelta(seconds=seconds)).isoformat()
    try:
        moment = parse_time(since.strip())
    except ValueError:
        moment = None
    if moment is None:
        raise CliError(EXIT_USAGE, f"--since {since!r}: give 30m, 1h, 7d or an ISO 8601 time")
    return moment.isoformat()


def list_query(filters: Mapping[str, str | Sequence[str] | None]) -> list[tuple[str, str]]:
    """Query parameters for `GET /v1/runs`: the given filters only, lists repeated."""
    query: list[tuple[str, str]] = []
    for name, value in filters.items():
        if value is None:
            continue
        values = [value] if isinstance(value, str) else list(value)
        query.extend((name, item) for item in values)
    return query


def run_row(run: Mapping[str, Any], now: datetime) -> list[str]:
    context = run.get("context") or {}
    return [
        run["id"],
        run["actionId"],
        run["status"],
        f"{run.get('attempt', 0)}/{run.get('maxAttempts', '?')}",
        text(context.get("owner")),
        text(context.get("templateRef")),
        age(run.get("createdAt"), now),
        duration(run.get("createdAt"), run.get("finishedAt")),
    ]


def runs_table(runs: Iterable[Mapping[str, Any]], now: datetime) -> Table:
    return table(LIST_COLUMNS, (run_row(run, now) for run in runs), fold={"OWNER", "TEMPLATE"})


def trace_id(traceparent: str | None) -> str | None:
    """The trace id (second field) of a W3C traceparent; None if it is not one."""
    found = _TRACEPARENT.fullmatch(traceparent or "")
    return found.group(1) if found else None


def error_text(error: Mapping[str, Any] | None) -> str:
    return f"{error['name']}: {error['message']}" if error else "-"


def detail_rows(run: Mapping[str, Any], base_url: str) -> list[tuple[str, str]]:
    """`runs show`: the run's fields, one (label, value) each."""
    context, links = run.get("context") or {}, run.get("links") or {}
    rows = [
        ("ID", run["id"]),
        ("Action", run["actionId"]),
        ("Status", run["status"]),
        ("Attempts", f"{run.get('attempt', 0)} of {run.get('maxAttempts', '?')}"),
        ("Owner", text(context.get("owner"))),
        ("Template", text(context.get("templateRef"))),
        ("Task / step", f"{text(context.get('taskId'))} / {text(context.get('stepId'))}"),
        ("User", text(context.get("userRef"))),
        ("Queue", text(run.get("queue"))),
        ("Created", text(run.get("createdAt"))),
        ("Started", text(run.get("startedAt"))),
        ("Finished", text(run.get("finishedAt"))),
        ("Duration", duration(run.get("createdAt"), run.get("finishedAt"))),
        ("Trace id", text(trace_id(run.get("traceparent")))),
        ("Error", error_text(run.get("error"))),
    ]
    if run.get("cancelRequestedAt"):
        rows.append(("Cancel asked", run["cancelRequestedAt"]))
    rows.extend((f"Link {name}", f"{base_url}{link}") for name, link in links.items())
    return rows


def attempt_rows(run: Mapping[str, Any]) -> list[list[str]]:
    return [
        [
            str(attempt["number"]),
            text(attempt.get("worker")),
            text(attempt.get("startedAt")),
            text(attempt.get("finishedAt")),
            text(attempt.get("status")),
            error_text(attempt.get("error")),
        ]
        for attempt in run.get("attempts") or []
    ]


def run_detail(run: Mapping[str, Any], base_url: str, output: str) -> RenderableType:
    """`runs show` as a table: the fields, the attempts, the output (as JSON)."""
    fields = Table.grid(padding=(0, 2))
    fields.add_column(style="bold", no_wrap=True)
    fields.add_column(overflow="fold")
    for label, value in detail_rows(run, base_url):
        fields.add_row(label, Text(value))
    columns = ("#", "WORKER", "STARTED", "FINISHED", "STATUS", "ERROR")
    attempts = table(columns, attempt_rows(run), title="Attempts", fold={"WORKER", "ERROR"})
    parts: list[RenderableType] = [fields, "", attempts]
    if run.get("output") is not None:
        parts.extend(["", Text("Output", style="bold"), Text(output)])
    return Group(*parts)


def changes(
    seen: Mapping[str, tuple[str, int]], runs: Iterable[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """`runs ls --watch`: the runs that are new or whose status or attempt changed."""
    return [run for run in runs if seen.get(run["id"]) != (run["status"], run.get("attempt", 0))]


def seen_of(runs: Iterable[Mapping[str, Any]]) -> dict[str, tuple[str, int]]:
    return {run["id"]: (run["status"], run.get("attempt", 0)) for run in runs}


def parse_secrets(items: Iterable[str], env: Mapping[str, str]) -> dict[str, str]:
    """`--secret NAME=VALUE`, or `--secret NAME` for the value of the variable NAME."""
    secrets: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            if name not in env:
                raise CliError(EXIT_USAGE, f"--secret {name}: no variable {name} to read")
            value = env[name]
        if not name:
            raise CliError(EXIT_USAGE, f"--secret {item!r}: give NAME=VALUE or NAME")
        secrets[name] = value
    return secrets
