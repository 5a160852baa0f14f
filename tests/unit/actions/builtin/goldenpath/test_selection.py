"""Which snippets a repository gets: by provider, language, runtime and tier, the newest
version of each, or the pinned one."""

from __future__ import annotations

from pathlib import Path

import pytest

from actionpool.actions.builtin.goldenpath.catalog import Catalog
from actionpool.actions.builtin.goldenpath.library import SnippetLibrary, load_snippet_library
from actionpool.actions.builtin.goldenpath.selection import (
    Selection,
    pin_problems,
    select_snippets,
)
from tests.unit.actions.builtin.goldenpath.libraries import snippet, write_library

PYTHON = Selection("github-actions", "python", "3.12", "basic")


@pytest.fixture
def library(tmp_path: Path) -> SnippetLibrary:
    root = write_library(
        tmp_path,
        snippet("gha-any"),
        snippet("gha-python", appliesTo={"languages": ["python"]}),
        snippet("gha-python-311", appliesTo={"languages": ["python"], "runtimes": ["3.11"]}),
        snippet("gha-go", appliesTo={"languages": ["go"]}),
        snippet("gha-scan", stage="scan", rationale="why", appliesTo={"minTier": "standard"}),
        snippet("gha-audit", stage="policy", rationale="why", appliesTo={"minTier": 3}),
        snippet("gha-new", "1.0.0"),
        snippet("gha-new", "1.1.0", appliesTo={"languages": ["go"]}),
        snippet("gha-setup", stage="setup"),
        snippet(
            "gitlab-any",
            provider="gitlab-ci",
            github=None,
            gitlab={"jobs": {"test": {"script": ["make test"]}}},
        ),
    )
    return load_snippet_library(root, max_files=100, max_file_bytes=65536)


def ids(
    library: SnippetLibrary, selection: Selection, pins: dict[str, str] | None = None
) -> list[str]:
    return [s.ref for s in select_snippets(library, selection, pins)]


def test_language_and_runtime_choose_snippets(library: SnippetLibrary) -> None:
    # Given Python 3.12 at the basic tier on GitHub Actions
    # Then it gets the snippets for any language and for Python, not those of 3.11 or Go,
    # setup first, and not the newest gha-new (1.1.0 is for Go only)
    assert ids(library, PYTHON) == ["gha-setup@1.0.0", "gha-any@1.0.0", "gha-python@1.0.0"]
    # And Python 3.11 also gets the 3.11 snippet
    py311 = Selection("github-actions", "python", "3.11", "basic")
    assert "gha-python-311@1.0.0" in ids(library, py311)
    # And Go gets the Go snippets and gha-new's newest version
    go = Selection("github-actions", "go", "1.22", "basic")
    assert ids(library, go) == ["gha-setup@1.0.0", "gha-any@1.0.0", "gha-go@1.0.0", "gha-new@1.1.0"]


def test_higher_tiers_add_their_snippets_in_stage_order(library: SnippetLibrary) -> None:
    standard = ids(library, Selection("github-actions", "python", "3.12", "standard"))
    regulated = ids(library, Selection("github-actions", "python", "3.12", "regulated"))
    assert standard[-1] == "gha-scan@1.0.0" and "gha-audit@1.0.0" not in standard
    assert regulated[-2:] == ["gha-scan@1.0.0", "gha-audit@1.0.0"]


def test_the_provider_chooses_its_own_snippets(library: SnippetLibrary) -> None:
    gitlab = Selection("gitlab-ci", "python", "3.12", "regulated")
    assert ids(library, gitlab) == ["gitlab-any@1.0.0"]


def test_a_pin_chooses_an_older_version(library: SnippetLibrary) -> None:
    # Given gha-new pinned to 1.0.0 (which applies to every language)
    # Then Python gets it, and Go gets the pinned version instead of the newest
    assert "gha-new@1.0.0" in ids(library, PYTHON, {"gha-new": "1.0.0"})
    go = Selection("github-actions", "go", "1.22", "basic")
    assert ids(library, go, {"gha-new": "1.0.0"})[-1] == "gha-new@1.0.0"


def test_pins_that_cannot_be_used_say_why(library: SnippetLibrary) -> None:
    problems = pin_problems(
        library, PYTHON, {"gha-nope": "1.0.0", "gha-any": "9.9.9", "gha-go": "1.0.0"}
    )
    assert problems == [
        "gha-any has no version 9.9.9 (it has 1.0.0)",
        "gha-go@1.0.0 does not apply to github-actions, python 3.12, tier basic",
        "no snippet 'gha-nope' in the library",
    ]
    with pytest.raises(ValueError, match="no snippet 'gha-nope'"):
        select_snippets(library, PYTHON, {"gha-nope": "1.0.0"})


@pytest.mark.parametrize("provider", ["github-actions", "gitlab-ci"])
@pytest.mark.parametrize("language", ["python", "node", "go"])
def test_the_shipped_library_grows_with_the_tier(
    shipped: Catalog, provider: str, language: str
) -> None:
    runtime = shipped.snippets.runtimes[language][0]
    chosen = {
        tier: select_snippets(shipped.snippets, Selection(provider, language, runtime, tier))
        for tier in ("basic", "standard", "regulated")
    }
    stages = {tier: {s.stage for s in snippets} for tier, snippets in chosen.items()}
    # basic builds and tests; standard adds an SBOM, a scan and a policy check; regulated more
    assert {"build", "test"} <= stages["basic"] and not stages["basic"] & {"sbom", "scan", "policy"}
    assert {"sbom", "scan", "policy"} <= stages["standard"]
    assert len(chosen["basic"]) < len(chosen["standard"]) < len(chosen["regulated"])
    assert all(s.provider == provider for s in chosen["regulated"])
