"""`actionpool workers`, `queues`, `stats` and the pool's `actions`: tables of what the
running pool reports, over the HTTP API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from actionpool.console.http import EXIT_FAILED, CliError, Pool, body_of
from actionpool.console.options import (
    ContextOption,
    OutputOption,
    TokenOption,
    UrlOption,
    connect,
    reported,
)
from actionpool.console.output import Format, age, emit, table, text

PLUGIN_ERRORS = "X-Actionpool-Plugin-Errors"
FAILED_PLUGINS = "X-Actionpool-Failed-Plugins"
STATS_COLUMNS = (
    *("KEY", "RUNS", "OK", "FAILED", "CANCELLED", "IN FLIGHT", "SUCCESS"),
    *("P50 S", "P95 S", "RETRIED", "MTTR S"),
)
ACTION_COLUMNS = (
    "ID",
    "SOURCE",
    "QUEUE",
    "TIMEOUT S",
    "SOFT S",
    "ATTEMPTS",
    "DRY RUN",
    "DESCRIPTION",
)


def worker_rows(workers: Sequence[Mapping[str, Any]], now: datetime) -> list[list[str]]:
    return [
        [
            worker["name"],
            worker["status"],
            text(worker.get("host")),
            text(worker.get("pid")),
            f"{worker.get('runsInHand', 0)}/{worker.get('concurrency', '?')}",
            ",".join(worker.get("queues") or []) or "-",
            text(worker.get("version")),
            age(worker.get("startedAt"), now),
            age(worker.get("lastHeartbeatAt"), now),
        ]
        for worker in workers
    ]


def queue_rows(queues: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    return [
        [queue["name"], str(queue["depth"]), f"{queue['oldestWaitingS']:g}", str(queue["inFlight"])]
        for queue in queues
    ]


def share(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def stats_rows(groups: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    return [
        [
            text(group["key"]),
            str(group["runs"]),
            str(group["completed"]),
            str(group["failed"]),
            str(group["cancelled"]),
            str(group["inFlight"]),
            share(group["successRate"]),
            seconds(group["durationP50S"]),
            seconds(group["durationP95S"]),
            share(group["retryRate"]),
            seconds(group["meanTimeToRecoveryS"]),
        ]
        for group in groups
    ]


def stats_view(stats: Mapping[str, Any]) -> RenderableType:
    grid = table(STATS_COLUMNS, stats_rows(stats["groups"]), fold={"KEY"})
    window = f"runs created {stats['since']} .. {stats['until']}, by {stats['groupBy']}"
    if stats.get("truncated"):
        window += " (truncated: the newest runs only)"
    return Group(Text(window), grid)


def action_rows(actions: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    return [
        [
            action["id"],
            source_of(action.get("source")),
            text(action.get("queue")),
            f"{action['timeoutS']:g}",
            f"{action['softTimeoutS']:g}",
            str(action["maxAttempts"]),
            "yes" if action.get("supportsDryRun") else "no",
            deprecation_of(action.get("deprecation")) + text(action.get("description")),
        ]
        for action in actions
    ]


def source_of(source: Mapping[str, Any] | None) -> str:
    """`package version`, as `actionpool actions` shows where an action comes from."""
    return f"{source['package']} {source['version']}" if source else "-"


def deprecation_of(deprecation: Mapping[str, Any] | None) -> str:
    """`DEPRECATED (use x:y): ` before the description of a deprecated action."""
    if not deprecation:
        return ""
    instead = f" (use {deprecation['replacement']})" if deprecation.get("replacement") else ""
    return f"DEPRECATED{instead}: "


def actions_table(actions: Sequence[Mapping[str, Any]]) -> Table:
    return table(ACTION_COLUMNS, action_rows(actions), fold={"DESCRIPTION"})


def plugin_failure(headers: Mapping[str, str]) -> CliError | None:
    """The pool's word that plugins did not load (their actions are missing), if it says so."""
    count = int(headers.get(PLUGIN_ERRORS) or 0)
    if count == 0:
        return None
    names = headers.get(FAILED_PLUGINS) or "?"
    return CliError(
        EXIT_FAILED,
        f"PluginLoadError: the pool did not load {count} plugin(s): {names} (its log says why)",
    )


def pool_actions(pool: Pool, output: Format) -> None:
    """The actions the running pool serves; exit 1 if it says a plugin did not load."""
    response = pool.request("GET", "/v1/actions")
    emit(body_of(response), output, actions_table)
    failure = plugin_failure(response.headers)
    if failure:
        raise failure


def now() -> datetime:
    return datetime.now(UTC)


@reported
def workers(
    output: OutputOption = Format.TABLE,
    url: UrlOption = None,
    token: TokenOption = None,
    context: ContextOption = None,
) -> None:
    """The pool's workers: up or lost, runs in hand, queues, last heartbeat (GET /v1/workers)."""
    columns = ("NAME", "STATUS", "HOST", "PID", "RUNS", "QUEUES", "VERSION", "AGE", "HEARTBEAT")
    found = connect(url, token, context).get("/v1/workers")
    emit(
        found,
        output,
        lambda found: table(columns, worker_rows(found["items"], now()), fold={"QUEUES"}),
    )


@reported
def queues(
    output: OutputOption = Format.TABLE,
    url: UrlOption = None,
    token: TokenOption = None,
    context: ContextOption = None,
) -> None:
    """The pool's queues: waiting messages, the oldest's wait, attempts running (GET /v1/queues)."""
    columns = ("NAME", "DEPTH", "OLDEST WAITING S", "IN FLIGHT")
    found = connect(url, token, context).get("/v1/queues")
    emit(found, output, lambda found: table(columns, queue_rows(found["items"])))


@reported
def stats(
    group_by: Annotated[
        str, typer.Option("--group-by", help="template, owner or action")
    ] = "template",
    since: Annotated[
        str, typer.Option(help="ISO 8601 time, or 7d, 24h, 30m, 90s before now")
    ] = "7d",
    output: OutputOption = Format.TABLE,
    url: UrlOption = None,
    token: TokenOption = None,
    context: ContextOption = None,
) -> None:
    """Flow figures per template, owner or action (GET /v1/stats).

    Runs, success rate, durations, retries and time to recovery."""
    found = connect(url, token, context).get("/v1/stats", {"groupBy": group_by, "since": since})
    emit(found, output, stats_view)
