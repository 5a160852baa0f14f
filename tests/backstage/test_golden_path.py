"""examples/backstage/templates/golden-path.yaml in a real Backstage: the template's form
values reach `golden-path:create-repository` through the scaffolder module, and one commit
with the composed pipeline and the policy section lands in a real repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.backstage.backend import Backstage, report
from tests.backstage.conftest import PoolUnderTest
from tests.git.repos import bare_repository, files, log, runs_of

pytestmark = pytest.mark.backstage

TEMPLATE = "actionpool-golden-path"


@pytest.mark.timeout(300)
def test_the_golden_path_template_creates_the_repository(
    backstage: Backstage, pool: PoolUnderTest, git_remotes: Path
) -> None:
    # Given an empty repository the pool may push to
    remote = bare_repository(git_remotes / "billing.git")
    # When a user runs the template: Go 1.23 on GitLab CI, regulated
    values = {
        "name": "billing",
        "description": "Bills customers",
        "owner": "group:default/payments",
        "language": "go",
        "runtime": "1.23",
        "complianceTier": "regulated",
        "ciProvider": "gitlab-ci",
        "remoteUrl": f"file://{remote}",
        "branch": "main",
    }
    task = backstage.wait_for_end(backstage.create_task(TEMPLATE, values))
    # Then the task completed through the pool's run
    assert task.status == "completed", task.events
    (run,) = pool.runs_of_task(task.id)
    assert (run["actionId"], run["status"]) == ("golden-path:create-repository", "completed")
    output = run["output"]
    # And the repository holds exactly one commit, the run's, with its pipeline and README
    assert log(remote) == [output["commitSha"]] == runs_of(remote, run["id"])
    tree = files(remote, output["commitSha"])
    assert output["pipelinePath"] == ".gitlab-ci.yml" and ".gitlab-ci.yml" in tree
    snippets = [f"{s['id']}@{s['version']}" for s in output["snippets"]]
    assert any(s.startswith("gitlab-sbom-syft@") for s in snippets), snippets
    readme = tree["README.md"].decode()
    assert all(policy["title"] in readme for policy in output["policies"])
    # And the task's output links the repository and names what it was built from
    completion = task.completion()["output"]
    assert completion["links"][0]["url"] == output["remoteUrl"]
    assert output["commitSha"] in completion["text"][0]["content"]
    report(f"golden path: {len(snippets)} snippets, {len(output['policies'])} policies")
