"""Composing a pipeline from snippets: GitHub Actions jobs per stage with the setup steps,
GitLab CI jobs in their stages, placeholders filled, clashes refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from actionpool.actions.builtin.goldenpath.library import load_snippet_library
from actionpool.actions.builtin.goldenpath.pipeline import CompositionError, compose, fill
from actionpool.actions.builtin.goldenpath.snippet import Snippet
from tests.unit.actions.builtin.goldenpath.libraries import snippet, write_library

VALUES = {"name": "billing", "language": "python", "runtime": "3.12"}


def snippets_of(tmp_path: Path, *items: dict[str, Any]) -> list[Snippet]:
    library = load_snippet_library(
        write_library(tmp_path, *items), max_files=100, max_file_bytes=65536
    )
    return [s for versions in library.snippets.values() for s in versions]


def steps(name: str, *runs: str) -> dict[str, Any]:
    return {"steps": [{"name": f"{name} {n}", "run": run} for n, run in enumerate(runs)]}


def gitlab(**fields: Any) -> dict[str, Any]:
    return {"provider": "gitlab-ci", "github": None, "gitlab": fields}


def test_github_gets_a_job_per_stage_each_after_the_one_before(tmp_path: Path) -> None:
    # Given setup steps for every job and for test jobs only, a build, a test and a scan
    chosen = snippets_of(
        tmp_path,
        snippet("gha-checkout", stage="setup", github=steps("checkout", "git status")),
        snippet(
            "gha-toolchain",
            stage="setup",
            github={**steps("toolchain", "use @{runtime}"), "stages": ["test"]},
        ),
        snippet("gha-build", stage="build", github=steps("build", "make")),
        snippet("gha-test", stage="test", github=steps("test", "make test")),
        snippet("gha-scan", stage="scan", rationale="why", github=steps("scan", "scan")),
    )
    order = ["gha-checkout", "gha-toolchain", "gha-build", "gha-test", "gha-scan"]
    chosen.sort(key=lambda s: order.index(s.id))
    # When the workflow is composed
    pipeline = compose(chosen, "github-actions", values=VALUES, branch="trunk")
    jobs = pipeline.document["jobs"]
    # Then it has one job per stage, chained by needs
    assert list(jobs) == ["build", "test", "scan"]
    assert [jobs[j].get("needs") for j in jobs] == [None, ["build"], ["test"]]
    # And every job starts with the checkout, the test job with the toolchain too (filled in)
    runs = {j: [s["run"] for s in jobs[j]["steps"]] for j in jobs}
    assert runs == {
        "build": ["git status", "make"],
        "test": ["git status", "use 3.12", "make test"],
        "scan": ["git status", "scan"],
    }
    # And it runs on pushes to the branch; the file's header names every snippet
    assert pipeline.path == ".github/workflows/ci.yml"
    assert pipeline.document["on"]["push"] == {"branches": ["trunk"]}
    text = pipeline.text()
    assert "# golden-path snippets: gha-checkout@1.0.0 gha-toolchain@1.0.0 gha-build@1.0.0" in text
    assert yaml.safe_load(text) == pipeline.document


def test_gitlab_gets_its_stages_jobs_and_variables(tmp_path: Path) -> None:
    # Given a setup snippet with a variable, and jobs in build and policy
    chosen = snippets_of(
        tmp_path,
        snippet("gitlab-cache", stage="setup", **gitlab(variables={"CACHE": "/c"})),
        snippet(
            "gitlab-build",
            stage="build",
            **gitlab(jobs={"build": {"image": "python:@{runtime}", "script": ["make"]}}),
        ),
        snippet(
            "gitlab-opa",
            stage="policy",
            rationale="why",
            **gitlab(jobs={"opa": {"stage": "wrong", "script": ["conftest test ."]}}),
        ),
    )
    # When the pipeline is composed
    pipeline = compose(chosen, "gitlab-ci", values=VALUES, branch="main")
    # Then its stages are those with jobs, in order, each job in its snippet's stage
    assert pipeline.path == ".gitlab-ci.yml"
    assert pipeline.document == {
        "stages": ["build", "policy"],
        "variables": {"CACHE": "/c"},
        "build": {"stage": "build", "image": "python:3.12", "script": ["make"]},
        "opa": {"stage": "policy", "script": ["conftest test ."]},
    }


def test_two_snippets_with_one_gitlab_job_name_clash(tmp_path: Path) -> None:
    job = {"jobs": {"test": {"script": ["x"]}}}
    chosen = snippets_of(
        tmp_path, snippet("gitlab-a", **gitlab(**job)), snippet("gitlab-b", **gitlab(**job))
    )
    with pytest.raises(CompositionError, match="another snippet has job 'test'"):
        compose(chosen, "gitlab-ci", values=VALUES, branch="main")


def test_two_snippets_setting_a_variable_two_ways_clash(tmp_path: Path) -> None:
    chosen = snippets_of(
        tmp_path,
        snippet("gitlab-a", stage="setup", **gitlab(variables={"X": "1"})),
        snippet("gitlab-b", stage="setup", **gitlab(variables={"X": "2"})),
        snippet("gitlab-c", **gitlab(jobs={"test": {"script": ["x"]}})),
    )
    with pytest.raises(CompositionError, match="sets variable X another way"):
        compose(chosen, "gitlab-ci", values=VALUES, branch="main")


@pytest.mark.parametrize("provider", ["github-actions", "gitlab-ci"])
def test_setup_snippets_alone_make_no_pipeline(tmp_path: Path, provider: str) -> None:
    if provider == "github-actions":
        chosen = snippets_of(tmp_path, snippet("gha-setup", stage="setup"))
    else:
        chosen = snippets_of(
            tmp_path, snippet("gitlab-setup", stage="setup", **gitlab(variables={"A": "b"}))
        )
    with pytest.raises(CompositionError, match="has no job"):
        compose(chosen, provider, values=VALUES, branch="main")


def test_fill_replaces_known_placeholders_in_keys_and_values() -> None:
    value = {"key-@{name}": ["@{language} @{runtime}", 3, None, "${{ matrix.os }}"]}
    assert fill(value, VALUES) == {"key-billing": ["python 3.12", 3, None, "${{ matrix.os }}"]}
