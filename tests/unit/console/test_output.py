"""Times as a table shows them, and the API's JSON as YAML."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import yaml

from actionpool.console.output import Format, age, dump, duration, emit, span, table

NOW = datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0s"),
        (59.9, "59s"),
        (60, "1m"),
        (3599, "59m"),
        (3600, "1h"),
        (86400 * 3, "3d"),
        (-5, "0s"),
    ],  # fmt: skip
)
def test_a_span_is_its_largest_unit(seconds: float, shown: str) -> None:
    assert span(seconds) == shown


def test_an_age_is_the_span_to_now() -> None:
    assert age("2026-11-26T09:00:00.000Z", NOW) == "1h"
    assert age(None, NOW) == "-"


@pytest.mark.parametrize(
    ("start", "end", "shown"),
    [
        ("2026-11-26T09:00:00.000Z", "2026-11-26T09:00:01.204Z", "1.20s"),
        ("2026-11-26T09:00:00.000Z", "2026-11-26T09:03:04.000Z", "3m4s"),
        ("2026-11-26T09:00:00.000Z", "2026-11-26T11:00:00.000Z", "2h"),
        ("2026-11-26T09:00:00.000Z", None, "-"),
    ],
)
def test_a_duration_between_two_times(start: str, end: str | None, shown: str) -> None:
    assert duration(start, end) == shown


def test_json_and_yaml_are_the_same_value() -> None:
    value = {"items": [{"id": "r", "output": {"ü": 1.5, "list": [None, True]}}], "next": None}
    assert json.loads(dump(value, Format.JSON)) == value
    assert yaml.safe_load(dump(value, Format.YAML)) == value


def test_the_pools_text_is_never_read_as_markup(capsys: pytest.CaptureFixture[str]) -> None:
    # Given values with brackets, as error messages and log lines may have
    rows = [["[warning] x", "No module named [/foo]"]]
    # When they are printed as a table and as a line
    emit(rows, Format.TABLE, lambda rows: table(("A", "B"), rows))
    emit("[bold]as is[/bold]", Format.TABLE, lambda line: line)
    # Then they are shown as they are
    shown = capsys.readouterr().out
    assert "[warning] x" in shown and "No module named [/foo]" in shown
    assert "[bold]as is[/bold]" in shown
