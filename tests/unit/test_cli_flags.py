"""The server commands' flags mirror their settings, and `actionpool --version`."""

from __future__ import annotations

from importlib.metadata import version

import pytest
import typer
from typer.testing import CliRunner

from actionpool.cli import cli, queue_names


def test_version_prints_the_installed_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"actionpool {version('actionpool')}"


@pytest.mark.parametrize(
    ("command", "variables"),
    [
        ("api", ["ACTIONPOOL_API_HOST", "ACTIONPOOL_API_PORT", "ACTIONPOOL_API_WORKERS"]),
        (
            "worker",
            ["ACTIONPOOL_WORKER_CONCURRENCY", "ACTIONPOOL_WORKER_QUEUES", "ACTIONPOOL_WORKER_NAME"],
        ),
    ],
)
def test_help_names_the_variable_behind_each_flag(command: str, variables: list[str]) -> None:
    result = CliRunner().invoke(cli, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for variable in variables:
        assert variable in result.output


def test_a_port_out_of_range_is_refused_before_anything_starts() -> None:
    result = CliRunner().invoke(cli, ["api", "--port", "0"])
    assert result.exit_code == 2


@pytest.mark.parametrize(
    ("text", "names"),
    [("long", ["long"]), ("long, default", ["long", "default"]), ('["a", "b"]', ["a", "b"])],
)
def test_queues_are_a_comma_list_or_the_variables_json(text: str, names: list[str]) -> None:
    assert queue_names(text) == names


def test_a_broken_json_list_of_queues_is_refused() -> None:
    with pytest.raises(typer.BadParameter):
        queue_names('["a", 1]')
