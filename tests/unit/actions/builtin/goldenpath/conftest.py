"""Golden-path fixtures: the shipped catalog, and a real bare git repository to publish to
over file://."""

from __future__ import annotations

from pathlib import Path

import pytest

from actionpool.actions.builtin.git.config import GitConfig
from actionpool.actions.builtin.goldenpath.catalog import Catalog, catalog_of
from actionpool.actions.builtin.goldenpath.config import GoldenPathConfig
from actionpool.actions.settings import ActionSettings
from tests.git.repos import bare_repository


@pytest.fixture(scope="session")
def shipped() -> Catalog:
    """The libraries shipped inside the package."""
    return catalog_of(GoldenPathConfig())


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """An empty bare repository."""
    return bare_repository(tmp_path / "remotes" / "service.git")


@pytest.fixture
def settings(tmp_path: Path) -> ActionSettings:
    """Git may reach local repositories under tmp_path only; the shipped libraries."""
    return ActionSettings(git=GitConfig(file_roots=(tmp_path,), allowed_schemes=("file",)))
