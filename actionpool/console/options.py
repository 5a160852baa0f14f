"""The options every pool command takes (where the pool is, the credential, `-o`), and
the wrapper that turns a `CliError` into its message on stderr and its exit code."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

import typer

from actionpool.console.config import CONFIG_VAR, CONTEXT_VAR, TOKEN_VAR, URL_VAR, Flags, target
from actionpool.console.http import CliError, Pool
from actionpool.console.output import Format, console

P = ParamSpec("P")
R = TypeVar("R")
PANEL = "Connection (flags beat the environment, which beats the config file)"

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        help=f"The pool's API root, e.g. http://127.0.0.1:8000 (env {URL_VAR}; file: url)",
        rich_help_panel=PANEL,
        show_default=False,
    ),
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        help=f"Bearer token (env {TOKEN_VAR}; file: token or tokenFile)",
        rich_help_panel=PANEL,
        show_default=False,
    ),
]
ContextOption = Annotated[
    str | None,
    typer.Option(
        "--context",
        help=f"Context of the config file (env {CONTEXT_VAR}; file: current-context). The "
        f"file: {CONFIG_VAR}, else ~/.config/actionpool/config.yaml",
        rich_help_panel=PANEL,
        show_default=False,
    ),
]
OutputOption = Annotated[
    Format, typer.Option("--output", "-o", help="table, or the API's JSON as json or yaml")
]


def connect(url: str | None, token: str | None, context: str | None) -> Pool:
    found = target(Flags(url=url, token=token, context=context), os.environ)
    return Pool(found.url, found.token)


def reported(command: Callable[P, R]) -> Callable[P, R]:
    """Runs a command: a `CliError` is printed as `Error: ...` on stderr, and exits with
    its code; Ctrl-C ends it quietly (exit 0: how a watch or a follow is stopped)."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except CliError as error:
            console(stderr=True).print(
                f"Error: {error}", markup=False, highlight=False, soft_wrap=True
            )
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            raise typer.Exit(0) from None

    return run
