"""The operator commands (`actionpool runs ...`) as real processes against a real pool."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests.e2e.processes import ACTIONPOOL
from tests.identity import ADMIN_TOKEN

NO_CONFIG = "/nonexistent/actionpool-config.yaml"
"""`ACTIONPOOL_CONFIG` for the tests: no config file of the machine's user is read."""


def cli_env(url: str, token: str = ADMIN_TOKEN, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACTIONPOOL_")}
    env.update(
        ACTIONPOOL_URL=url, ACTIONPOOL_TOKEN=token, ACTIONPOOL_CONFIG=NO_CONFIG, COLUMNS="250"
    )
    env.update(extra)
    return env


def run_cli(
    url: str, *args: str, token: str = ADMIN_TOKEN, cwd: Path | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    """`actionpool <args>` with the pool's URL and token in the environment; it must end."""
    return subprocess.run(
        [ACTIONPOOL, *args],
        env=cli_env(url, token, **extra),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


@contextlib.contextmanager
def running_cli(url: str, *args: str, token: str = ADMIN_TOKEN) -> Iterator[subprocess.Popen[str]]:
    """`actionpool <args>` running on, its output read line by line (follows, watches);
    killed afterwards if it is still running."""
    process = subprocess.Popen(
        [ACTIONPOOL, *args],
        env=cli_env(url, token),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    with process:
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
