"""`actionpool actions` as a real process, with plugins installed through entry points: the
actions installed here, or (with a pool URL) the running pool's, which says whether its
plugins loaded."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.cliprocess import NO_CONFIG, run_cli
from tests.e2e.conftest import Pool
from tests.e2e.pools import install_plugin, own_pool
from tests.e2e.processes import ACTIONPOOL

pytestmark = pytest.mark.e2e


def actions_command(site: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACTIONPOOL_")}
    env.update(PYTHONPATH=str(site), COLUMNS="200", ACTIONPOOL_CONFIG=NO_CONFIG)
    return subprocess.run(
        [ACTIONPOOL, "actions"], env=env, capture_output=True, text=True, timeout=60
    )


def test_the_installed_plugins_actions_are_listed(tmp_path: Path) -> None:
    result = actions_command(install_plugin(tmp_path / "site"))
    assert result.returncode == 0, result.stderr
    assert "fault:count" in result.stdout and "debug:sleep" in result.stdout


def test_a_broken_plugin_makes_the_command_fail(tmp_path: Path) -> None:
    # Given a plugin whose entry point names nothing that exists
    site = install_plugin(tmp_path / "site", entry_points={"broken": "faultactions:missing"})
    # When the actions are listed
    result = actions_command(site)
    # Then the good ones are shown, the broken one is named, and the exit code says so
    assert result.returncode == 1
    assert "debug:sleep" in result.stdout
    assert "plugin not loaded" in result.stdout and "broken" in result.stdout


def test_a_broken_plugin_of_the_running_pool_makes_the_command_fail(
    redis_url: str, tmp_path: Path
) -> None:
    # Given a running pool one of whose plugins did not load
    site = install_plugin(tmp_path / "site", entry_points={"broken": "faultactions:missing"})
    with own_pool(redis_url, tmp_path, PYTHONPATH=str(site)) as pool:
        # When its actions are listed, through the API and with the command
        answer = pool.http.get("/v1/actions")
        result = run_cli(pool.url, "actions")
        listed = run_cli(pool.url, "actions", "-o", "json")
    # Then the API's listing stays Backstage's list, and its headers name the plugin
    assert answer.status_code == 200 and isinstance(answer.json(), list)
    assert answer.headers["X-Actionpool-Plugin-Errors"] == "1"
    assert answer.headers["X-Actionpool-Failed-Plugins"] == "broken"
    # And the command shows the pool's actions, names the plugin and exits 1
    assert result.returncode == 1
    assert "debug:sleep" in result.stdout
    assert result.stderr.startswith("Error: PluginLoadError: ") and "broken" in result.stderr
    # And as JSON the listing is still the API's, the failure on stderr only
    assert listed.returncode == 1
    assert json.loads(listed.stdout) == answer.json()


def test_a_pool_whose_plugins_loaded_says_so(pool: Pool, tmp_path: Path) -> None:
    answer = pool.http.get("/v1/actions")
    assert answer.headers["X-Actionpool-Plugin-Errors"] == "0"
    assert "X-Actionpool-Failed-Plugins" not in answer.headers
    # And --local lists the actions installed here even with a pool URL configured
    local = run_cli(pool.url, "actions", "--local", cwd=tmp_path)
    assert local.returncode == 0, local.stderr
    assert "debug:sleep" in local.stdout
