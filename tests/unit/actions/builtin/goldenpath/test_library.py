"""Reading a snippet library: the shipped one, versions ordered as numbers, and every kind of
malformed library refused with a LibraryError naming the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from actionpool.actions.builtin.goldenpath.catalog import Catalog, catalog_of
from actionpool.actions.builtin.goldenpath.config import GoldenPathConfig
from actionpool.actions.builtin.goldenpath.library import (
    LibraryError,
    SnippetLibrary,
    load_snippet_library,
)
from actionpool.actions.builtin.goldenpath.version import SemVer
from tests.unit.actions.builtin.goldenpath.libraries import snippet, write_library


def load(root: Path, **caps: int) -> SnippetLibrary:
    limits = {"max_files": 100, "max_file_bytes": 64 * 1024, **caps}
    return load_snippet_library(root, **limits)


def test_the_shipped_library_covers_every_language_provider_and_tier(shipped: Catalog) -> None:
    # Given the libraries shipped with the package
    library = shipped.snippets
    # Then it offers python, node and go, and has skeletons for each
    assert set(library.runtimes) == {"python", "node", "go"}
    languages = {lang for s in shipped.skeletons.skeletons.values() for lang in s.languages}
    assert languages == {"python", "node", "go"}
    # And it has snippets of both providers, in every stage, policies from tier 2 on
    kinds = {(s.provider, s.stage) for v in library.snippets.values() for s in v}
    for provider in ("github-actions", "gitlab-ci"):
        assert {stage for p, stage in kinds if p == provider} >= {
            "build",
            "test",
            "sbom",
            "scan",
            "policy",
        }
    policies = [s for v in library.snippets.values() for s in v if s.is_policy]
    assert policies and all(s.applies_to.min_tier != "basic" and s.rationale for s in policies)


def test_versions_are_ordered_as_numbers(tmp_path: Path) -> None:
    # Given versions whose text order is not their numeric order
    root = write_library(tmp_path, *(snippet(version=v) for v in ("1.9.0", "1.10.0", "1.2.3")))
    # When the library is read
    library = load(root)
    # Then the newest is 1.10.0 and versions run oldest first
    assert library.versions("gha-test") == ("1.2.3", "1.9.0", "1.10.0")
    latest = library.latest("gha-test")
    assert latest is not None and latest.version == "1.10.0"
    assert SemVer.parse("1.10.0") > SemVer.parse("1.9.0")


@pytest.mark.parametrize("text", ["1.0", "v1.0.0", "1.0.0-rc1", "01.0.0", ""])
def test_a_version_is_major_minor_patch(text: str) -> None:
    with pytest.raises(ValueError, match="MAJOR.MINOR.PATCH"):
        SemVer.parse(text)


BROKEN: dict[str, tuple[dict[str, Any], str]] = {
    "unknown key": (snippet(colour="blue"), "colour: Extra inputs are not permitted"),
    "folder is another id": (
        {**snippet(), "id": "gha-other"},
        "declares gha-other@1.0.0; its folder and file name say",
    ),
    "no rationale for a policy": (snippet(stage="policy"), "must state its `rationale`"),
    "gitlab fragment on a github snippet": (
        snippet(gitlab={"jobs": {"x": {"script": ["true"]}}}),
        "has a `github` fragment and no other",
    ),
    "unknown placeholder": (
        snippet(github={"steps": [{"run": "echo @{secret}"}]}),
        "unknown placeholder(s) ['secret']",
    ),
    "runtime not offered": (
        snippet(appliesTo={"languages": ["go"], "runtimes": ["3.12"]}),
        "runtimes ['3.12'] are not offered",
    ),
    "language not offered": (snippet(appliesTo={"languages": ["rust"]}), "['rust'] are not in"),
    "unknown stage": (snippet(stage="deploy"), "stage: Input should be"),
    "tier out of range": (snippet(appliesTo={"minTier": 4}), "minTier: Input should be"),
    "gitlab job named like a keyword": (
        snippet(provider="gitlab-ci", github=None, gitlab={"jobs": {"stages": {"script": ["x"]}}}),
        "are GitLab CI keywords",
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_a_malformed_snippet_is_refused_naming_its_file(tmp_path: Path, case: str) -> None:
    # Given a library with one malformed snippet (written under the test snippet's folder)
    data, problem = BROKEN[case]
    data = {k: v for k, v in data.items() if v is not None}
    root = write_library(tmp_path / "lib")
    (root / "gha-test").mkdir()
    path = root / "gha-test" / "1.0.0.yaml"
    path.write_text(yaml.safe_dump(data))
    # When it is read, Then the error names the file and the problem
    with pytest.raises(LibraryError) as caught:
        load(root)
    assert str(path) in str(caught.value)
    assert problem in str(caught.value)


def test_a_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    root = write_library(tmp_path)
    (root / "gha-test").mkdir()
    (root / "gha-test" / "1.0.0.yaml").write_text("id: [unclosed\n")
    with pytest.raises(LibraryError, match="cannot be read as YAML"):
        load(root)


def test_a_file_not_named_after_a_version_is_refused(tmp_path: Path) -> None:
    root = write_library(tmp_path)
    (root / "gha-test").mkdir()
    (root / "gha-test" / "latest.yaml").write_text("id: gha-test\n")
    with pytest.raises(LibraryError, match=r"named <version>\.yaml"):
        load(root)


def test_every_version_of_a_snippet_keeps_its_stage(tmp_path: Path) -> None:
    # Given a snippet whose second version moved to another stage
    root = write_library(tmp_path, snippet(), snippet(version="2.0.0", stage="build"))
    # Then the library is refused: a new stage is a new id
    with pytest.raises(LibraryError, match="one provider and stage"):
        load(root)


def test_caps_bound_a_library(tmp_path: Path) -> None:
    # Given a library of three files
    root = write_library(tmp_path, *(snippet(version=f"1.0.{n}") for n in range(3)))
    # Then a cap of two files, or of a few bytes per file, refuses it
    with pytest.raises(LibraryError, match="more than 2"):
        load(root, max_files=2)
    with pytest.raises(LibraryError, match="bytes, more than the 50 allowed"):
        load(root, max_file_bytes=50)


def test_no_languages_file_or_no_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="is not a folder"):
        load(tmp_path / "missing")
    with pytest.raises(LibraryError, match="languages.yaml: cannot be read"):
        load(tmp_path)


def test_a_malformed_configured_library_fails_the_catalog(tmp_path: Path) -> None:
    # Given an operator's snippet library whose languages file is empty
    (tmp_path / "languages.yaml").write_text("languages: {}\n")
    config = GoldenPathConfig(snippet_library_dir=tmp_path)
    # When the catalog is built (as actions_of does at start), Then it says what is wrong
    with pytest.raises(LibraryError, match="languages"):
        catalog_of(config)
