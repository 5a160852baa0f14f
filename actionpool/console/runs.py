"""`actionpool runs ls | show | logs | cancel | retry`: the runs, over the HTTP API."""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.live import Live

from actionpool.console.follow import event_line, follow, read_events
from actionpool.console.http import EXIT_FAILED, CliError, Pool, body_of
from actionpool.console.options import (
    ContextOption,
    OutputOption,
    TokenOption,
    UrlOption,
    connect,
    reported,
)
from actionpool.console.output import Format, console, dump, emit, stream_item
from actionpool.console.runview import (
    changes,
    list_query,
    parse_secrets,
    run_detail,
    run_row,
    runs_table,
    seen_of,
    since_time,
)

runs_app = typer.Typer(help="List, inspect, follow, cancel and retry runs.", no_args_is_help=True)
RunId = Annotated[str, typer.Argument(help="The run's id", show_default=False)]
MAX_PAGE = 500
Query = list[tuple[str, str]]


def now() -> datetime:
    return datetime.now(UTC)


def collect(pool: Pool, query: Query, limit: int | None) -> dict[str, Any]:
    """The runs of `GET /v1/runs`, following `nextCursor` until `limit` runs (None: all);
    a page may hold fewer runs than asked for and still name a cursor."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        size = MAX_PAGE if limit is None else min(MAX_PAGE, limit - len(items))
        params = [*query, ("limit", str(size)), *([("cursor", cursor)] if cursor else [])]
        page = pool.get("/v1/runs", params)
        items.extend(page["items"])
        cursor = page.get("nextCursor")
        if cursor is None or (limit is not None and len(items) >= limit):
            return {"items": items, "nextCursor": cursor}


def watch(
    pool: Pool, fetch: Callable[[], list[dict[str, Any]]], fmt: Format, every_s: float
) -> None:
    """Until Ctrl-C: on a terminal the table, redrawn every `every_s`; else every run that
    appears or changes status (or attempt), as a line, a JSON line or a YAML document."""
    runs = fetch()
    if fmt is Format.TABLE and sys.stdout.isatty():
        with Live(runs_table(runs, now()), console=console(), auto_refresh=False) as live:
            while True:
                time.sleep(every_s)
                live.update(runs_table(fetch(), now()), refresh=True)
    seen: dict[str, tuple[str, int]] = {}
    while True:
        for run in reversed(changes(seen, runs)):  # oldest first, as a log reads
            stream_item(run, fmt, "  ".join(run_row(run, now())))
        seen.update(seen_of(runs))
        time.sleep(every_s)
        runs = fetch()


@runs_app.command("ls")
@reported
def list_runs(
    status: Annotated[
        list[str] | None,
        typer.Option(
            help="open, processing, completed, failed or cancelled (repeat for more)",
            show_default=False,
        ),
    ] = None,
    owner: Annotated[str | None, typer.Option(help="e.g. group:default/payments")] = None,
    template: Annotated[str | None, typer.Option(help="Template ref")] = None,
    action: Annotated[str | None, typer.Option(help="Action id, e.g. debug:sleep")] = None,
    task: Annotated[str | None, typer.Option(help="Backstage task id")] = None,
    user: Annotated[str | None, typer.Option(help="User ref, e.g. user:default/alice")] = None,
    since: Annotated[
        str | None, typer.Option(help="Created since: 30m, 1h, 7d or ISO 8601")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many runs")] = 50,
    all_runs: Annotated[
        bool, typer.Option("--all", help="Every matching run (no --limit)")
    ] = False,
    watch_runs: Annotated[
        bool, typer.Option("--watch", "-w", help="Keep watching until Ctrl-C")
    ] = False,
    interval: Annotated[
        float, typer.Option(min=0.2, help="Seconds between looks of --watch")
    ] = 2.0,
    output: OutputOption = Format.TABLE,
    url: UrlOption = None,
    token: TokenOption = None,
    context: ContextOption = None,
) -> None:
    """The runs you may see, newest first (GET /v1/runs).

    With --watch: on a terminal the table is redrawn every --interval seconds; written to
    a pipe, each run that appears or changes is one line (-o json: one JSON run per line)."""
    filters = {
        "status": status,
        "owner": owner,
        "templateRef": template,
        "actionId": action,
        "taskId": task,
        "userRef": user,
        "createdAfter": since_time(since, now()) if since else None,
    }
    query, most = list_query(filters), None if all_runs else limit
    pool = connect(url, token, context)
    if watch_runs:
        watch(pool, lambda: collect(pool, query, most)["items"], output, interval)
    page = collect(pool, query, most)
    emit(page, output, lambda page: runs_table(page["items"], now()))


@runs_app.command("show")
@reported
def show_run(
    run_id: RunId,
    output: OutputOption = Format.TABLE,
    url: UrlOption = None,
    token: TokenOption = None,
    context: ContextOption = None,
) -> None:
    """A run: status, context, attempts, error, output, trace id, links (GET /v1/runs/ID)."""
    pool = connect(url, token, context)
    run = pool.get(f"/v1/runs/{run_id}")
    emit(run, output, lambda run: run_detail(run, pool.url, dump(run.get("output"), Format.JSON)))


@runs_app.command("logs")
@reported
def run_logs(
    run_id: RunId,
    follow_run: Annotated[
        bool, typer.Option("--follow", "-f", help="Follow the live events until the run ends")
    ] = False,
    output: OutputOption = Format.TABLE,
    url: UrlOption = None,
    token: TokenOption = None,
    context: ContextOption = None,
) -> None:
    """A run's events (GET /v1/runs/ID/events); -f follows them until the run ends.

    -f reads the live event stream and resumes after a dropped connection (Last-Event-ID);
    with -f, -o json writes one JSON event per line."""
    pool = connect(url, token, context)
    if follow_run:
        follow(pool, run_id, lambda event: stream_item(event, output, event_line(event)))
        return
    events = read_events(pool, run_id)
    emit(events, output, lambda events: "\n".join(event_line(e) for e in events))


@runs_app.command("cancel")
@reported
def cancel_run(
    run_id: RunId,
    output: OutputOption = Format.TABLE,
    url: UrlOption = None,
    token: TokenOption = None,
    context: ContextOption = None,
) -> None:
    """Cancel a run (POST /v1/runs/ID/cancel).

    An open run ends at once, a processing run with its next heartbeat; a run that already
    completed or failed is a conflict (exit 5)."""
    pool = connect(url, token, context)
    response = pool.post(f"/v1/runs/{run_id}/cancel")
    said = "cancelled" if response.status_code == 200 else "asked to stop (it is processing)"
    emit(body_of(response), output, lambda run: f"run {run['id']} {said}")


@runs_app.command("retry")
@reported
def retry_run(
    run_id: RunId,
    secret: Annotated[
        list[str] | None,
        typer.Option(
            help="NAME=VALUE, or NAME for the variable's value (repeat for more); "
            "needed when the run had secrets",
            show_default=False,
        ),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for the run to end; exit 1 unless it completed")
    ] = False,
    output: OutputOption = Format.TABLE,
    url: UrlOption = None,
    token: TokenOption = None,
    context: ContextOption = None,
) -> None:
    """Run a failed or cancelled run again (POST /v1/runs/ID/retry).

    It runs as its next attempt, from its checkpoints; an open, processing or completed run
    is a conflict (exit 5); a run that had secrets needs them again (--secret)."""
    secrets = parse_secrets(secret or [], os.environ)
    pool = connect(url, token, context)
    headers = {"Idempotency-Key": str(uuid.uuid4())}  # a retry of this request is this retry
    body = {"secrets": secrets} if secrets else None
    run = body_of(pool.post(f"/v1/runs/{run_id}/retry", body, headers))
    if wait:
        run = pool.wait_for_end(run["id"])
    said = attempts(run) if wait else "retried: it runs again"
    emit(run, output, lambda run: f"run {run['id']} {run['status']} {said}")
    if wait and run["status"] != "completed":
        raise CliError(EXIT_FAILED, f"{error_text(run)} (run {run['id']} ended {run['status']})")


def attempts(run: dict[str, Any]) -> str:
    return f"(attempt {run.get('attempt', 0)} of {run.get('maxAttempts', '?')})"


def error_text(run: dict[str, Any]) -> str:
    error = run.get("error") or {"name": "RunEndedUnsuccessfullyError", "message": "no error"}
    return f"{error['name']}: {error['message']}"
