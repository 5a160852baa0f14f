"""`golden-path:create-repository` end to end in one process: a real bare repository over
file://, crashes after each stage's checkpoint, dry runs, pins, the span's attributes."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from actionpool.actions.builtin.goldenpath.catalog import catalog_of
from actionpool.actions.builtin.goldenpath.config import SHIPPED_LIBRARY_DIR, GoldenPathConfig
from actionpool.actions.builtin.goldenpath.create import create_repository_action
from actionpool.actions.builtin.goldenpath.readme import START
from actionpool.actions.builtin.goldenpath.stages import StageDriftError
from actionpool.actions.settings import ActionSettings
from actionpool.actions.testing import ActionHarness, SimulatedCrash
from tests.git.repos import files, log

STAGE_CHECKPOINTS = [
    "golden-path.render.v1",
    "golden-path.pipeline.v1",
    "golden-path.readme.v1",
    "golden-path.publish.stamp.v1",
    "golden-path.publish.commit.v1",
    "golden-path.publish.push.v1",
]


def input_for(remote: Path, **changes: Any) -> dict[str, Any]:
    return {
        "name": "billing",
        "owner": "group:default/payments",
        "description": "Bills customers",
        "skeleton": "python-service",
        "language": "python",
        "runtime": "3.12",
        "complianceTier": "regulated",
        "remoteUrl": f"file://{remote}",
        "authorName": "Backstage",
        "authorEmail": "backstage@example.com",
        **changes,
    }


def pushed(remote: Path, path: str) -> str:
    """A file of the remote's main branch."""
    return files(remote, "main")[path].decode()


def test_it_pushes_the_skeleton_pipeline_and_policy_readme(
    settings: ActionSettings, remote: Path, tmp_path: Path
) -> None:
    # Given the action and an empty remote
    harness = ActionHarness(create_repository_action(settings), workspace_root=tmp_path / "ws")
    # When a regulated Python service is created
    output = harness.run(input_for(remote))
    # Then one commit is on main, and the output says what it was built from
    assert log(remote) == [output["commitSha"]]
    assert output["pipelinePath"] == ".github/workflows/ci.yml"
    refs = [f"{s['id']}@{s['version']}" for s in output["snippets"]]
    assert "gha-python-toolchain@1.1.0" in refs and "gha-policy-licenses@1.0.0" in refs
    assert {p["stage"] for p in output["policies"]} == {"sbom", "scan", "policy"}
    assert all(p["rationale"] for p in output["policies"])
    # And the pushed tree holds the skeleton, the pipeline and the README's policy section
    tree = files(remote, "main")
    assert {".github/workflows/ci.yml", "Dockerfile", "policy/dockerfile.rego"} <= set(tree)
    workflow = yaml.safe_load(pushed(remote, ".github/workflows/ci.yml"))
    assert list(workflow["jobs"]) == ["build", "test", "sbom", "scan", "policy"]
    readme = pushed(remote, "README.md")
    assert readme.startswith("# billing\n\nBills customers")
    assert START in readme and "(`gha-policy-licenses@1.0.0`, policy)" in readme


@pytest.mark.parametrize("crash_after", STAGE_CHECKPOINTS)
def test_a_crash_after_any_stage_pushes_one_commit(
    settings: ActionSettings, remote: Path, tmp_path: Path, crash_after: str
) -> None:
    # Given an attempt killed right after one stage's checkpoint
    harness = ActionHarness(create_repository_action(settings), workspace_root=tmp_path / "ws")
    with pytest.raises(SimulatedCrash):
        harness.run(input_for(remote, ciProvider="gitlab-ci"), crash_after=crash_after)
    # When the run is tried again (a fresh workspace), and once more
    second = harness.run(input_for(remote, ciProvider="gitlab-ci"))
    third = harness.run(input_for(remote, ciProvider="gitlab-ci"))
    # Then the remote has exactly one commit, the one both attempts name
    assert log(remote) == [second["commitSha"]] == [third["commitSha"]]
    assert second == third
    # And it holds the pipeline and the README's policy section
    assert "conftest test --policy policy Dockerfile" in pushed(remote, ".gitlab-ci.yml")
    assert START in pushed(remote, "README.md")


def test_a_dry_run_decides_everything_and_pushes_nothing(
    settings: ActionSettings, remote: Path, tmp_path: Path
) -> None:
    harness = ActionHarness(create_repository_action(settings), workspace_root=tmp_path / "ws")
    output = harness.run(input_for(remote, complianceTier="basic"), dry_run=True)
    assert output["commitSha"] is None and output["policies"] == []
    assert [s["id"] for s in output["snippets"]][:2] == ["gha-checkout", "gha-python-toolchain"]
    assert log(remote) == []


def test_a_pinned_version_is_the_one_built(
    settings: ActionSettings, remote: Path, tmp_path: Path
) -> None:
    harness = ActionHarness(create_repository_action(settings), workspace_root=tmp_path / "ws")
    output = harness.run(input_for(remote, snippetVersions={"gha-python-toolchain": "1.0.0"}))
    assert {"id": "gha-python-toolchain", "version": "1.0.0"} in output["snippets"]
    assert "actions/setup-python@v4" in pushed(remote, ".github/workflows/ci.yml")


def test_the_attempt_span_names_the_snippets(
    settings: ActionSettings, remote: Path, tmp_path: Path
) -> None:
    # Given spans going to memory, and an attempt span current (as the worker has one)
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    harness = ActionHarness(create_repository_action(settings), workspace_root=tmp_path / "ws")
    # When the action runs inside it
    with provider.get_tracer("test").start_as_current_span("attempt"):
        output = harness.run(input_for(remote))
    # Then that span carries every snippet as id@version, and the tier
    (attempt,) = [s for s in exporter.get_finished_spans() if s.name == "attempt"]
    attributes = dict(attempt.attributes or {})
    expected = [f"{s['id']}@{s['version']}" for s in output["snippets"]]
    assert list(attributes["actionpool.golden_path.snippets"]) == expected  # type: ignore[arg-type]
    assert attributes["actionpool.golden_path.tier"] == "regulated"


def own_library(tmp_path: Path, settings: ActionSettings) -> tuple[Path, ActionSettings]:
    """A copy of the shipped libraries the test may change, and settings naming it."""
    root = tmp_path / "library"
    shutil.copytree(SHIPPED_LIBRARY_DIR, root)
    config = GoldenPathConfig(
        skeleton_library_dir=root / "skeletons", snippet_library_dir=root / "snippets"
    )
    return root, settings.model_copy(update={"golden_path": config})


def test_a_retry_keeps_the_versions_its_run_chose(
    settings: ActionSettings, remote: Path, tmp_path: Path
) -> None:
    # Given a run that chose its snippets, then crashed
    root, own = own_library(tmp_path, settings)
    harness = ActionHarness(create_repository_action(own), workspace_root=tmp_path / "ws")
    with pytest.raises(SimulatedCrash):
        harness.run(input_for(remote), crash_after="golden-path.pipeline.v1")
    # When a newer gha-python-test is released and the worker restarts before the retry
    test_dir = root / "snippets" / "gha-python-test"
    newer = (test_dir / "1.0.0.yaml").read_text().replace("1.0.0", "1.1.0")
    (test_dir / "1.1.0.yaml").write_text(newer)
    catalog_of.cache_clear()
    output = harness.run(input_for(remote))
    # Then the retry builds the version the run chose; a new run would get the newer one
    assert {"id": "gha-python-test", "version": "1.0.0"} in output["snippets"]
    assert catalog_of(own.golden_path).snippets.versions("gha-python-test")[-1] == "1.1.0"


def test_an_edited_version_between_attempts_stops_the_run(
    settings: ActionSettings, remote: Path, tmp_path: Path
) -> None:
    # Given a run that wrote its pipeline, then crashed
    root, own = own_library(tmp_path, settings)
    harness = ActionHarness(create_repository_action(own), workspace_root=tmp_path / "ws")
    with pytest.raises(SimulatedCrash):
        harness.run(input_for(remote), crash_after="golden-path.pipeline.v1")
    # When the version it used is edited in place (versions are meant to be immutable)
    path = root / "snippets" / "gha-python-test" / "1.0.0.yaml"
    path.write_text(path.read_text().replace("pytest -q", "pytest -q -x"))
    catalog_of.cache_clear()
    # Then the retry stops instead of pushing another pipeline than the run decided
    with pytest.raises(StageDriftError, match="golden-path.pipeline.v1"):
        harness.run(input_for(remote))
    assert log(remote) == []
