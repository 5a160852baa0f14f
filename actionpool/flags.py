"""Command-line flags that mirror `ACTIONPOOL_*` settings: each names its variable in
`--help`, takes its default from it, and is written back to the environment, so that every
process the command starts (uvicorn workers, Celery children) reads the same settings."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import typer


def setting(name: str, help: str, **kwargs: Any) -> Any:
    """A `typer.Option` for the setting `ACTIONPOOL_<NAME>` (`--help` shows the variable)."""
    return typer.Option(None, envvar=f"ACTIONPOOL_{name}", help=help, **kwargs)


def export(values: Mapping[str, object | None]) -> None:
    """The flags given (None: not given), as the `ACTIONPOOL_*` variables the settings read;
    a list is written as JSON, as pydantic-settings reads it."""
    for name, value in values.items():
        if value is None:
            continue
        text = json.dumps(value) if isinstance(value, list) else str(value)
        os.environ[f"ACTIONPOOL_{name}"] = text
