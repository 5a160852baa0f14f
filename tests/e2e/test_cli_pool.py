"""`actionpool workers | queues | stats | actions` as real processes against a real API and
worker: the rows the pool reports, as tables and as the API's JSON."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.e2e.cliprocess import run_cli
from tests.e2e.conftest import Pool

pytestmark = pytest.mark.e2e


def test_workers_lists_the_pools_worker_as_up(pool: Pool) -> None:
    # Given the pool's worker, heartbeating
    name = pool.env["ACTIONPOOL_WORKER_NAME"]
    # When the workers are listed
    table = run_cli(pool.url, "workers")
    listed = json.loads(run_cli(pool.url, "workers", "-o", "json").stdout)
    # Then it is a row of the table, up, and the JSON is the API's
    assert table.returncode == 0, table.stderr
    row = next(line for line in table.stdout.splitlines() if line.startswith(name))
    assert row.split()[1] == "up"
    assert name in [worker["name"] for worker in listed["items"]]


def test_queues_lists_the_default_queue(pool: Pool) -> None:
    result = run_cli(pool.url, "queues")
    assert result.returncode == 0, result.stderr
    assert any(line.split()[:1] == ["default"] for line in result.stdout.splitlines())
    listed = yaml.safe_load(run_cli(pool.url, "queues", "-o", "yaml").stdout)
    assert "default" in [queue["name"] for queue in listed["items"]]


def test_stats_shows_the_groups_of_the_window(pool: Pool) -> None:
    # Given a completed run of an action
    pool.wait_run(pool.start_run("debug:log", {"message": "counted"}).json()["id"])
    # When the figures per action of the last hour are shown
    table = run_cli(pool.url, "stats", "--group-by", "action", "--since", "1h")
    figures = json.loads(run_cli(pool.url, "stats", "--group-by", "action", "-o", "json").stdout)
    # Then the action is a group of both
    assert table.returncode == 0, table.stderr
    assert any(line.startswith("debug:log ") for line in table.stdout.splitlines())
    assert "debug:log" in [group["key"] for group in figures["groups"]]


def test_a_bad_stats_window_is_refused_with_the_apis_error(pool: Pool) -> None:
    result = run_cli(pool.url, "stats", "--since", "soon")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: InputValidationError: ")


def test_actions_lists_what_the_running_pool_serves(pool: Pool) -> None:
    # When a pool URL is configured, the actions are the pool's
    result = run_cli(pool.url, "actions", "-o", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == pool.http.get("/v1/actions").json()
    table = run_cli(pool.url, "actions")
    assert any(line.startswith("debug:sleep ") for line in table.stdout.splitlines())
