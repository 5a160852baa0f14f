"""What a read command prints: a rich table for people, or the API's own JSON (`-o json`)
or the same as YAML (`-o yaml`) for scripts; and times as a table shows them."""

from __future__ import annotations

import enum
import json
import os
import sys
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import yaml
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

WIDE_S = 200
"""Columns of a table written to a pipe or a file (a terminal uses its own width)."""


class Format(enum.StrEnum):
    TABLE = "table"
    JSON = "json"
    YAML = "yaml"


def console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    wide = not stream.isatty() and "COLUMNS" not in os.environ
    return Console(file=stream, width=WIDE_S if wide else None, soft_wrap=False)


def dump(value: Any, fmt: Format) -> str:
    """JSON (indented) or YAML of the API's JSON value."""
    if fmt is Format.YAML:
        return yaml.safe_dump(value, sort_keys=False, allow_unicode=True)
    return json.dumps(value, indent=2, ensure_ascii=False)


def emit(value: Any, fmt: Format, render: Callable[[Any], RenderableType]) -> None:
    """`value` as `fmt`: JSON and YAML as the API sent it, a table through `render`."""
    if fmt is Format.TABLE:
        shown = render(value)
        console().print(Text(shown) if isinstance(shown, str) else shown)
    else:
        sys.stdout.write(dump(value, fmt).rstrip("\n") + "\n")
        sys.stdout.flush()


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[str]],
    title: str | None = None,
    fold: Collection[str] = (),
) -> Table:
    """A plain table. Only the columns named in `fold` wrap (long names: owners, errors);
    the others keep each value on one line, so a narrow terminal shortens those first."""
    grid = Table(*columns, title=title, box=None, header_style="bold", pad_edge=False)
    for column in grid.columns:
        column.overflow = "fold"
        column.no_wrap = str(column.header) not in fold
    for row in rows:
        grid.add_row(*(Text(cell) for cell in row))  # the pool's text: never rich markup
    return grid


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def span(seconds: float) -> str:
    """`42s`, `3m`, `5h`, `2d`: kubectl's AGE."""
    whole = max(int(seconds), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole >= size:
            return f"{whole // size}{unit}"
    return f"{whole}s"


def age(text: str | None, now: datetime) -> str:
    moment = parse_time(text)
    return span((now - moment).total_seconds()) if moment else "-"


def duration(start: str | None, end: str | None) -> str:
    """`1.20s`, `3m4s`: from `start` to `end`; `-` without both."""
    begun, ended = parse_time(start), parse_time(end)
    if begun is None or ended is None:
        return "-"
    seconds = (ended - begun).total_seconds()
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest}s" if minutes < 60 else span(seconds)


def text(value: object) -> str:
    """A cell: `-` for nothing."""
    return "-" if value is None or value == "" else str(value)


def stream_item(value: Any, fmt: Format, line: str) -> None:
    """One item of a stream, as it comes: a JSON line, a YAML document, or `line`."""
    if fmt is Format.JSON:
        shown = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    elif fmt is Format.YAML:
        shown = "---\n" + dump(value, fmt).rstrip("\n")
    else:
        shown = line
    sys.stdout.write(f"{shown}\n")
    sys.stdout.flush()
