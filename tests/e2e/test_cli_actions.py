"""`actionpool actions` as a real process, with plugins installed through entry points."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.pools import install_plugin
from tests.e2e.processes import ACTIONPOOL

pytestmark = pytest.mark.e2e


def actions_command(site: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACTIONPOOL_")}
    env.update(PYTHONPATH=str(site), COLUMNS="200")
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
