"""The input model refuses, before anything runs (a 422 in the pool), what the libraries
cannot build: each problem named on its field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from actionpool.actions.builtin.goldenpath import actions_of
from actionpool.actions.builtin.goldenpath.create import create_repository_action
from actionpool.actions.builtin.goldenpath.inputs import CreateRepositoryInput
from actionpool.actions.settings import ActionSettings
from actionpool.actions.testing import ActionHarness


def valid(remote: Path, **changes: Any) -> dict[str, Any]:
    return {
        "name": "billing",
        "owner": "group:default/payments",
        "skeleton": "python-service",
        "language": "python",
        "runtime": "3.12",
        "remoteUrl": f"file://{remote}",
        **changes,
    }


def refusals(settings: ActionSettings, remote: Path, **changes: Any) -> dict[str, str]:
    harness = ActionHarness(create_repository_action(settings))
    with pytest.raises(ValidationError) as caught:
        harness.validate(valid(remote, **changes))
    return {".".join(map(str, e["loc"])): e["msg"] for e in caught.value.errors()}


def test_a_valid_input_reads_tiers_by_rank_too(settings: ActionSettings, remote: Path) -> None:
    harness = ActionHarness(create_repository_action(settings))
    parsed = harness.validate(valid(remote, complianceTier=3, ciProvider="gitlab-ci"))
    assert isinstance(parsed, CreateRepositoryInput)
    assert (parsed.compliance_tier, parsed.ci_provider) == ("regulated", "gitlab-ci")
    assert harness.validate(valid(remote)).compliance_tier == "standard"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"language": "rust"}, "language", "language 'rust' is not offered (offered: python, "),
        ({"runtime": "2.7"}, "runtime", "python 2.7 is not offered (offered: 3.11, 3.12, 3.13)"),
        ({"skeleton": "nope"}, "skeleton", "no skeleton 'nope' (there are: go-service, "),
        ({"skeleton": "go-service"}, "skeleton", "skeleton 'go-service' is for go"),
        ({"complianceTier": 4}, "complianceTier", "Input should be 'basic', 'standard' or"),
        ({"ciProvider": "jenkins"}, "ciProvider", "Input should be 'github-actions' or"),
        ({"name": "-x"}, "name", "String should match pattern"),
        ({"branch": "a..b"}, "branch", "must not contain '..'"),
        ({"remoteUrl": "file:///etc/repo.git"}, "remoteUrl", "not under an allowed file root"),
        (
            {"snippetVersions": {"gha-python-toolchain": "0.1.0"}},
            "",
            "gha-python-toolchain has no version 0.1.0 (it has 1.0.0, 1.1.0)",
        ),
        (
            {"snippetVersions": {"gitlab-python-test": "1.0.0"}},
            "",
            "gitlab-python-test@1.0.0 does not apply to github-actions, python 3.12",
        ),
    ],
)
def test_what_cannot_be_built_is_refused_on_its_field(
    settings: ActionSettings, remote: Path, changes: dict[str, Any], field: str, message: str
) -> None:
    found = refusals(settings, remote, **changes)
    assert field in found, found
    assert message in found[field]


def test_without_file_roots_a_local_remote_is_refused(tmp_path: Path) -> None:
    # Given the secure default git config (no file roots), validated without a context
    with pytest.raises(ValidationError, match="no file_roots are configured"):
        CreateRepositoryInput.model_validate(valid(tmp_path / "r.git"))


def test_the_action_is_what_the_family_offers(settings: ActionSettings) -> None:
    (action,) = actions_of(settings)
    assert action.id == "golden-path:create-repository" and action.supports_dry_run
    schema = action.input_schema
    # every input field has a description, camelCase on the wire
    assert {"complianceTier", "ciProvider", "remoteUrl", "snippetVersions"} <= set(
        schema["properties"]
    )
    assert all("description" in p for p in schema["properties"].values())
    assert all("description" in p for p in action.output_schema["properties"].values())
