"""Finding repositories built from outdated snippets: pure functions of the recorded
`id@version` references and the library as it is now."""

from __future__ import annotations

from pathlib import Path

import pytest

from actionpool.actions.builtin.goldenpath.library import SnippetLibrary, load_snippet_library
from actionpool.actions.builtin.goldenpath.outdated import (
    OutdatedSnippet,
    outdated_repositories,
    outdated_snippets,
    parse_ref,
)
from actionpool.actions.builtin.goldenpath.version import SemVer
from tests.unit.actions.builtin.goldenpath.libraries import snippet, write_library


@pytest.fixture
def library(tmp_path: Path) -> SnippetLibrary:
    root = write_library(
        tmp_path,
        snippet("gha-opa", "1.9.0"),
        snippet("gha-opa", "1.10.0"),
        snippet("gha-build", "2.0.0"),
    )
    return load_snippet_library(root, max_files=10, max_file_bytes=65536)


def test_older_versions_and_removed_snippets_are_outdated(library: SnippetLibrary) -> None:
    # Given a repository built from an old gha-opa, the current gha-build and a removed one
    refs = ["gha-opa@1.9.0", "gha-build@2.0.0", "gha-gone@1.0.0", "gha-opa@1.9.0"]
    # Then gha-opa (newest 1.10.0) and gha-gone (no longer there) are outdated, once each
    assert outdated_snippets(refs, library) == [
        OutdatedSnippet("gha-opa", "1.9.0", "1.10.0"),
        OutdatedSnippet("gha-gone", "1.0.0", None),
    ]
    # And a repository on the newest versions has none
    assert outdated_snippets(["gha-opa@1.10.0", "gha-build@2.0.0"], library) == []


def test_repositories_with_outdated_snippets_are_listed(library: SnippetLibrary) -> None:
    built = {
        "https://git.example.com/a.git": ["gha-opa@1.10.0", "gha-build@2.0.0"],
        "https://git.example.com/b.git": ["gha-opa@1.9.0", "gha-build@2.0.0"],
    }
    found = outdated_repositories(built, library)
    assert list(found) == ["https://git.example.com/b.git"]
    assert [o.ref for o in found["https://git.example.com/b.git"]] == ["gha-opa@1.9.0"]


def test_a_reference_is_id_at_version() -> None:
    assert parse_ref("gha-opa@1.2.3") == ("gha-opa", SemVer(1, 2, 3))
    for bad in ("gha-opa", "@1.0.0", "gha-opa@latest"):
        with pytest.raises(ValueError):
            parse_ref(bad)
