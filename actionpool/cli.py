"""The `actionpool` command: api, worker, dev, token, and the operator's commands over the
HTTP API (runs, workers, queues, stats, actions; `actionpool.console`)."""

from __future__ import annotations

import json
import os
from importlib.metadata import version as installed_version

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from actionpool.actions.errors import ActionPoolError, StoreMisconfiguredError
from actionpool.actions.registry import Registry, build_registry
from actionpool.api.identity.authenticator import AuthConfigurationError, Authenticator
from actionpool.api.identity.principal import Scope
from actionpool.api.identity.settings import StaticTokenConfig
from actionpool.api.identity.statictoken import hash_token, new_token
from actionpool.api.schemas import ActionView
from actionpool.api.settings import ApiSettings
from actionpool.console import pool
from actionpool.console.config import Flags, configured_url
from actionpool.console.options import (
    ContextOption,
    OutputOption,
    TokenOption,
    UrlOption,
    connect,
    reported,
)
from actionpool.console.output import Format, emit
from actionpool.console.runs import runs_app
from actionpool.flags import export, setting
from actionpool.smoke.command import smoke
from actionpool.worker.settings import TelemetrySettings
from actionpool.worker.store.health import check_redis_at_start
from actionpool.worker.telemetry.logs import configure_logging
from actionpool.worker.telemetry.tracing import TracingConfigError, check_tracing

cli = typer.Typer(help="actionpool: out-of-process worker pool for Backstage actions.")


def show_version(asked: bool) -> None:
    if asked:
        typer.echo(f"actionpool {installed_version('actionpool')}")
        raise typer.Exit()


@cli.callback()
def main_options(
    version: bool = typer.Option(
        False, "--version", callback=show_version, is_eager=True, help="Print the version"
    ),
) -> None:
    """actionpool: out-of-process worker pool for Backstage actions."""


def load_settings() -> ApiSettings:
    """Settings from the environment; a bad value stops the command with the reason."""
    try:
        return ApiSettings()
    except ValidationError as exc:
        typer.echo(f"invalid ACTIONPOOL_ settings:\n{exc}", err=True)
        raise typer.Exit(2) from None


def load_telemetry() -> TelemetrySettings:
    """The `OTEL_*` settings the pool reads itself; a bad value stops the command."""
    try:
        telemetry = TelemetrySettings()
        check_tracing(telemetry)  # fail at start, not in every child process
    except (ValidationError, TracingConfigError) as exc:
        typer.echo(f"invalid OTEL_ settings: {exc}", err=True)
        raise typer.Exit(2) from None
    return telemetry


def load_registry(settings: ApiSettings) -> Registry:
    try:
        return build_registry(settings)
    except ActionPoolError as exc:
        typer.echo(f"cannot load the actions: {exc.name}: {exc}", err=True)
        raise typer.Exit(2) from None


def check_redis(settings: ApiSettings) -> None:
    """Refuse to start on a Redis that may evict keys, with the reason."""
    try:
        check_redis_at_start(settings)
    except StoreMisconfiguredError as exc:
        typer.echo(f"refusing to start: {exc}", err=True)
        raise typer.Exit(2) from None


def check_identity(settings: ApiSettings) -> None:
    """Refuse to start without any credential unless authentication is disabled explicitly."""
    try:
        Authenticator(settings)
    except AuthConfigurationError as exc:
        typer.echo(f"refusing to start: {exc}", err=True)
        raise typer.Exit(2) from None


@cli.command()
def api(
    host: str | None = setting("API_HOST", "Address to listen on (default 127.0.0.1)"),
    port: int | None = setting("API_PORT", "Port to listen on (default 8000)", min=1, max=65535),
    workers: int | None = setting("API_WORKERS", "uvicorn worker processes (default 1)", min=1),
) -> None:
    """Serve the HTTP API (uvicorn)."""
    export({"API_HOST": host, "API_PORT": port, "API_WORKERS": workers})
    settings = load_settings()
    load_registry(settings)  # refuse to start on a bad override, with the reason
    load_telemetry()
    check_identity(settings)
    check_redis(settings)
    serve("actionpool.api.app:app_from_env", settings)


def serve(factory: str, settings: ApiSettings) -> None:
    """uvicorn with the pool's server settings, for an app factory given by import path;
    each process logs as `configure_logging` says (uvicorn's own logging config is off).
    The HTTP protocol is uvicorn's with the pool's limits and error bodies
    (`api.protocol`); no WebSocket: an upgrade request is an ordinary request."""
    from actionpool.api.protocol import PROTOCOL  # the API's modules, for the API only

    configure_logging(settings.log_level, settings.log_format)
    uvicorn.run(
        factory,
        factory=True,
        host=settings.api_host,
        port=settings.api_port,
        workers=settings.api_workers,
        log_config=None,
        access_log=False,
        http=PROTOCOL,
        ws="none",
        h11_max_incomplete_event_size=settings.max_header_bytes,
    )


@cli.command()
def worker(
    concurrency: int | None = setting(
        "WORKER_CONCURRENCY", "Attempts run at once (prefork children) (default 4)", min=1
    ),
    queues: str | None = setting(
        "WORKER_QUEUES", "Queues to consume, comma-separated (default every action's queue)"
    ),
    name: str | None = setting(
        "WORKER_NAME", "Celery node name, recorded on attempts (default actionpool@<host>)"
    ),
) -> None:
    """Run a Celery worker (prefork, late ack, prefetch 1) for the action queues."""
    export({"WORKER_CONCURRENCY": concurrency, "WORKER_NAME": name})
    export({"WORKER_QUEUES": queue_names(queues) if queues is not None else None})
    # Before Celery is imported: SIGTERM starts Celery's soft shutdown (a bounded warm
    # shutdown, then running attempts are handed back), as containers expect.
    os.environ.setdefault("REMAP_SIGTERM", "SIGQUIT")
    from actionpool.worker.execution.main import run_worker

    settings = load_settings()
    registry, telemetry = load_registry(settings), load_telemetry()
    check_redis(settings)
    run_worker(settings, registry, telemetry)


def queue_names(text: str) -> list[str]:
    """`--queues long,default` (or the variable's JSON list, `["long"]`) as queue names."""
    if text.lstrip().startswith("["):
        try:
            names = json.loads(text)
        except json.JSONDecodeError:
            names = None
        if isinstance(names, list) and all(isinstance(n, str) for n in names):
            return names
        raise typer.BadParameter(f"{text!r} is not a JSON list of queue names")
    return [part.strip() for part in text.split(",") if part.strip()]


@cli.command()
def dev() -> None:
    """Run the API, one worker and (without ACTIONPOOL_REDIS_URL) an embedded Redis."""
    from actionpool.devstack import run_dev

    env = dict(os.environ)  # the children read their settings from it
    embedded = "ACTIONPOOL_REDIS_URL" not in env
    raise typer.Exit(run_dev(env, load_settings().dev_data_dir if embedded else None))


@cli.command("actions")
@reported
def list_actions(
    local: bool = typer.Option(
        False, "--local", help="The actions installed here, not the running pool's"
    ),
    output: OutputOption = Format.TABLE,
    url: UrlOption = None,
    token: TokenOption = None,
    context: ContextOption = None,
) -> None:
    """The actions and their limits; exit 1 if a plugin did not load.

    The running pool's (GET /v1/actions) when a pool URL is configured, else (and with
    --local) those installed here."""
    if local or not configured_url(Flags(url=url, token=token, context=context), os.environ):
        list_local_actions(output)
    else:
        pool.pool_actions(connect(url, token, context), output)


def local_action_entries(registry: Registry) -> list[dict[str, object]]:
    """The registered actions as `GET /v1/actions` lists them (without their schemas)."""
    return [
        ActionView.of(action).model_dump(mode="json", by_alias=True, exclude={"schema_"})
        for action in registry
    ]


def list_local_actions(output: Format) -> None:
    registry = load_registry(load_settings())
    emit(local_action_entries(registry), output, pool.actions_table)
    console = Console(stderr=output is not Format.TABLE)  # json and yaml stay parseable
    for error in registry.plugin_errors:
        console.print(f"[red]plugin not loaded:[/red] {escape(str(error))}")
    if registry.plugin_errors:
        raise typer.Exit(1)  # a broken plugin is a failure scripts can see


cli.add_typer(runs_app, name="runs")
cli.command("workers")(pool.workers)
cli.command("queues")(pool.queues)
cli.command("stats")(pool.stats)


@cli.command()
def token(
    subject: str = typer.Option(..., help="Who holds the token (shown in the audit trail)"),
    scope: list[Scope] = typer.Option(  # noqa: B008 - typer's way
        [Scope.RUNS_CREATE, Scope.RUNS_READ], help="A scope it grants (repeat for more)"
    ),
    owner: list[str] = typer.Option(  # noqa: B008 - typer's way
        ..., help="An owner it acts for, e.g. group:default/payments, or * (repeat for more)"
    ),
) -> None:
    """Make a static token: prints the token (give it to its holder) and the entry to add to
    ACTIONPOOL_STATIC_TOKENS (the pool keeps only its SHA-256)."""
    secret = new_token()
    try:
        entry = StaticTokenConfig(
            subject=subject, sha256=hash_token(secret), scopes=scope, owners=owner
        )
    except ValidationError as exc:
        typer.echo(f"invalid token: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"token: {secret}")
    typer.echo(f"ACTIONPOOL_STATIC_TOKENS entry: {entry.model_dump_json()}")


cli.command("smoke")(smoke)


def main() -> None:
    cli(prog_name="actionpool")


if __name__ == "__main__":
    main()
