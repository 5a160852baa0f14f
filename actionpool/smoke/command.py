"""The `actionpool smoke` command: flags, the pool to check (as every client command finds it:
flag, environment, config file), the report and the exit code (0 all passed, 1 a check
failed, 2 bad usage; docs/cli.md)."""

from __future__ import annotations

import os
from importlib.metadata import version

import httpx
import typer

from actionpool.console.config import Flags, target
from actionpool.console.options import (
    ContextOption,
    OutputOption,
    TokenOption,
    UrlOption,
    reported,
)
from actionpool.console.output import Format, console, dump
from actionpool.smoke.checks import Smoke, SmokeOptions
from actionpool.smoke.outcome import exit_code, report_data, report_table
from actionpool.smoke.probes import parse_named


@reported
def smoke(
    url: UrlOption = None,
    token: TokenOption = None,
    context: ContextOption = None,
    probe: list[str] = typer.Option(  # noqa: B008 - typer's way
        [], "--probe", help="QUEUE=ACTION: probe QUEUE with a real run of ACTION's example"
    ),
    run_timeout_s: float = typer.Option(120.0, "--run-timeout", help="Seconds a probe may take"),
    trace_query_url: str | None = typer.Option(
        None,
        "--trace-query-url",
        envvar="ACTIONPOOL_SMOKE_TRACE_QUERY_URL",
        help="Jaeger or Tempo query base URL: check each probe's trace arrived there",
    ),
    backstage_url: str | None = typer.Option(
        None,
        "--backstage-url",
        envvar="ACTIONPOOL_SMOKE_BACKSTAGE_URL",
        help="Backstage base URL: check its scaffolder lists the pool's actions",
    ),
    backstage_token: str | None = typer.Option(
        None, "--backstage-token", envvar="ACTIONPOOL_SMOKE_BACKSTAGE_TOKEN", help="For Backstage"
    ),
    output: OutputOption = Format.TABLE,
) -> None:
    """Check a running pool end to end: a run on every queue, its trace, /metrics, cancel,
    idempotent replay, Backstage's listing. Exit 1 if any check fails."""
    try:
        named = parse_named(probe)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    pool = target(Flags(url=url, token=token, context=context), os.environ)
    options = SmokeOptions(
        named, run_timeout_s, trace_query_url, 60.0, backstage_url, backstage_token
    )
    headers = {"User-Agent": f"actionpool-smoke/{version('actionpool')}"}
    if pool.token:
        headers["Authorization"] = f"Bearer {pool.token}"
    with httpx.Client(base_url=pool.url, headers=headers, timeout=60) as client:
        outcomes = Smoke(client, options).run()
    if output == Format.TABLE:
        console().print(report_table(outcomes))
    else:
        typer.echo(dump(report_data(outcomes), output))
    raise typer.Exit(exit_code(outcomes))
