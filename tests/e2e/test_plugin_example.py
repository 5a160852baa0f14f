"""`examples/actionpool-plugin-example`, built and installed as a package of its own: its
tests pass with the SDK's harness alone, and a real pool serves its actions through the
`actionpool.actions` entry point, naming the package, its version and the deprecation."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.cliprocess import NO_CONFIG
from tests.e2e.pools import own_pool
from tests.e2e.processes import ACTIONPOOL

pytestmark = pytest.mark.e2e

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "actionpool-plugin-example"
PACKAGE = {"package": "actionpool-plugin-example", "version": "0.1.0"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example's wheel, built offline from a copy (a build writes into its source tree)
    and installed into a directory for PYTHONPATH."""
    work = tmp_path_factory.mktemp("example")
    source = work / "source"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*build, "-w", str(work / "dist"), str(source)], check=True, timeout=120)
    (wheel,) = (work / "dist").glob("actionpool_plugin_example-*.whl")
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "-q"]
    subprocess.run([*install, "--target", str(work / "site"), str(wheel)], check=True, timeout=120)
    return work / "site"


def clean_env(site: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACTIONPOOL_")}
    env.update(PYTHONPATH=str(site), ACTIONPOOL_CONFIG=NO_CONFIG)
    return env


@pytest.mark.timeout(180)
def test_the_example_s_own_tests_pass_against_the_installed_package(site: Path) -> None:
    # When the example's tests run with only the installed wheel and actionpool importable
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests")],
        env=clean_env(site),
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=150,
    )
    # Then they pass, every one of them
    assert result.returncode == 0, result.stdout + result.stderr
    assert "7 passed" in result.stdout, result.stdout


@pytest.mark.timeout(120)
def test_actionpool_actions_names_the_package_and_the_deprecation(site: Path) -> None:
    result = subprocess.run(
        [ACTIONPOOL, "actions", "--local", "-o", "json"],
        env=clean_env(site),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    listed = {entry["id"]: entry for entry in json.loads(result.stdout)}
    assert listed["example:slug:create"]["source"] == PACKAGE
    assert listed["example:slugify"]["deprecation"]["replacement"] == "example:slug:create"
    assert listed["debug:log"]["source"]["package"] == "actionpool"


@pytest.mark.timeout(120)
def test_a_real_pool_runs_the_plugin_s_action(site: Path, redis_url: str, tmp_path: Path) -> None:
    # Given a pool (API and worker processes) with the example installed
    with own_pool(redis_url, tmp_path, PYTHONPATH=str(site)) as pool:
        # When its deprecated action runs
        started = pool.start_run("example:slugify", {"displayName": "Payments Ledger"})
        assert started.status_code == 202, started.text
        run = pool.wait_run(started.json()["id"])
        events = pool.http.get(f"/v1/runs/{run['id']}/events").text
        listed = {a["id"]: a for a in pool.http.get("/v1/actions").json()}
    # Then it completed with the action's output, and its log warned of the deprecation
    outcome = (run["status"], run["output"])
    assert outcome == ("completed", {"slug": "payments-ledger"}), run.get("error")
    assert "example:slugify is deprecated (renamed); use example:slug:create instead" in events
    # And the pool's listing names the package and version it came from
    assert listed["example:slugify"]["source"] == PACKAGE
