"""Fixtures of the git actions' unit tests: the test template library and a config for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from actionpool.actions.builtin.git.config import GitConfig
from tests.unit.actions.builtin.git.hostile_corpus import make_library


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    """A file that exists only if a hostile input was executed."""
    return tmp_path / "canary"


@pytest.fixture
def library(tmp_path: Path, canary: Path) -> Path:
    return make_library(tmp_path / "library", canary)


@pytest.fixture
def remotes(tmp_path: Path) -> Path:
    """A folder of bare repositories that `git_config` allows as file:// remotes."""
    folder = tmp_path / "remotes"
    folder.mkdir()
    return folder


@pytest.fixture
def git_config(library: Path, remotes: Path) -> GitConfig:
    return GitConfig(
        template_library_dir=library,
        file_roots=(remotes,),
        retry_initial_delay_s=0.01,
        retry_max_delay_s=0.05,
    )
