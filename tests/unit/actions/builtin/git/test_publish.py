"""git:publish with ActionHarness on real bare repositories (file://): what is pushed, and
that a re-run after a crash at any stage pushes one commit and reports the same SHA."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from actionpool.actions.builtin.git.config import GitConfig
from actionpool.actions.builtin.git.publish import publish_action
from actionpool.actions.builtin.git.skeleton import SkeletonError
from actionpool.actions.testing import ActionHarness, SimulatedCrash
from tests.git import repos

CHECKPOINTS = ["git-publish.stamp.v1", "git-publish.commit.v1", "git-publish.push.v1"]


def publish_input(remote: Path, **changes: Any) -> dict[str, Any]:
    return {
        "skeleton": "hello",
        "values": {"name": "svc"},
        "remoteUrl": f"file://{remote}",
        "commitMessage": "Create svc",
        "authorName": "Ada",
        "authorEmail": "ada@example.com",
        **changes,
    }


@pytest.fixture
def remote(remotes: Path) -> Path:
    return repos.bare_repository(remotes / "service.git")


def test_a_skeleton_is_rendered_committed_and_pushed_to_a_new_branch(
    git_config: GitConfig, remote: Path, tmp_path: Path
) -> None:
    # Given an empty remote repository
    harness = ActionHarness(publish_action(git_config), workspace_root=tmp_path / "ws")
    # When git:publish runs
    output = harness.run(publish_input(remote))
    # Then the remote's main is one commit: the rendered skeleton, with the run's trailer
    assert repos.log(remote) == [output["commitSha"]]
    assert output == {"remoteUrl": f"file://{remote}", "branch": "main", **output}
    files = repos.files(remote, output["commitSha"])
    assert files == {"README.md": b"# svc\n", "svc/main.py": b"print('svc')\n"}
    message = repos.message(remote, output["commitSha"])
    assert message == f"Create svc\n\nActionpool-Run: {harness.run_id}"


def test_an_existing_branch_gets_the_commit_on_top_keeping_its_files(
    git_config: GitConfig, remote: Path, tmp_path: Path
) -> None:
    # Given a remote branch with someone else's commit
    theirs = repos.commit_files(remote, "main", {"LICENSE": "MIT\n", "README.md": "old\n"}, "init")
    harness = ActionHarness(publish_action(git_config), workspace_root=tmp_path / "ws")
    # When git:publish runs onto it
    output = harness.run(publish_input(remote))
    # Then its commit sits on theirs (no force), adding and replacing files, keeping the rest
    assert repos.log(remote) == [output["commitSha"], theirs]
    files = repos.files(remote, output["commitSha"])
    assert files["LICENSE"] == b"MIT\n" and files["README.md"] == b"# svc\n"


@pytest.mark.parametrize("crash_after", CHECKPOINTS)
def test_a_rerun_after_a_crash_at_any_checkpoint_pushes_one_commit(
    crash_after: str, git_config: GitConfig, remote: Path, tmp_path: Path
) -> None:
    # Given an attempt that crashed right after a checkpoint was stored
    harness = ActionHarness(publish_action(git_config), workspace_root=tmp_path / "ws")
    with pytest.raises(SimulatedCrash):
        harness.run(publish_input(remote), crash_after=crash_after)
    # When the run is attempted again, and once more
    output = harness.run(publish_input(remote))
    again = harness.run(publish_input(remote))
    # Then the remote has exactly one commit of the run, the one both attempts report
    assert repos.runs_of(remote, harness.run_id) == [output["commitSha"]] == repos.log(remote)
    assert again["commitSha"] == output["commitSha"]


def test_a_rerun_that_lost_its_checkpoints_recognises_its_pushed_commit(
    git_config: GitConfig, remote: Path, tmp_path: Path
) -> None:
    # Given a run that pushed, then died before its push checkpoint reached the store
    first = ActionHarness(publish_action(git_config), workspace_root=tmp_path / "ws")
    pushed = first.run(publish_input(remote))["commitSha"]
    rerun = ActionHarness(
        publish_action(git_config), workspace_root=tmp_path / "ws2", run_id=first.run_id
    )
    # When the run is attempted again without any checkpoint
    output = rerun.run(publish_input(remote))
    # Then it finds its commit by the trailer, pushes nothing, reports the same SHA
    assert output["commitSha"] == pushed and repos.log(remote) == [pushed]
    assert f"already has this run's commit {pushed} on main" in " ".join(rerun.messages())


def test_when_the_branch_moved_after_the_commit_the_rerun_commits_on_the_new_tip(
    git_config: GitConfig, remote: Path, tmp_path: Path
) -> None:
    # Given a run that committed but crashed before pushing, then someone pushed to main
    harness = ActionHarness(publish_action(git_config), workspace_root=tmp_path / "ws")
    with pytest.raises(SimulatedCrash):
        harness.run(publish_input(remote), crash_after="git-publish.commit.v1")
    theirs = repos.commit_files(remote, "main", {"NOTES": "x\n"}, "theirs")
    # When the run is attempted again
    output = harness.run(publish_input(remote))
    # Then its one commit sits on theirs, without force
    assert repos.log(remote) == [output["commitSha"], theirs]
    assert repos.runs_of(remote, harness.run_id) == [output["commitSha"]]


def test_a_hostile_template_from_a_skeleton_repository_fails_before_any_push(
    git_config: GitConfig, remote: Path, remotes: Path, tmp_path: Path, canary: Path
) -> None:
    # Given a skeleton repository (not scanned at enqueue) with a template reaching internals
    skeletons = repos.bare_repository(remotes / "skeletons.git")
    evil = "{{ cycler.__init__.__globals__.os.popen('touch " + str(canary) + "').read() }}"
    repos.commit_files(skeletons, "main", {"svc/a.txt": evil}, "evil")
    harness = ActionHarness(publish_action(git_config), workspace_root=tmp_path / "ws")
    source = {"skeleton": None, "skeletonUrl": f"file://{skeletons}", "skeletonPath": "svc"}
    # When git:publish runs with it
    with pytest.raises(SkeletonError):
        harness.run({k: v for k, v in {**publish_input(remote), **source}.items() if v is not None})
    # Then the run fails permanently, nothing ran, nothing was pushed
    assert not canary.exists() and repos.log(remote) == []


def test_a_skeleton_repository_is_checked_out_at_its_ref(
    git_config: GitConfig, remote: Path, remotes: Path, tmp_path: Path
) -> None:
    # Given a skeleton repository with a tagged skeleton and later changes on main
    skeletons = repos.bare_repository(remotes / "skeletons.git")
    repos.commit_files(skeletons, "v1", {"svc/README.md": "v1 {{ name }}\n"}, "v1")
    repos.commit_files(skeletons, "main", {"svc/README.md": "v2\n"}, "v2")
    harness = ActionHarness(publish_action(git_config), workspace_root=tmp_path / "ws")
    source = {"skeletonUrl": f"file://{skeletons}", "skeletonRef": "v1", "skeletonPath": "svc"}
    # When git:publish uses the skeleton at ref v1
    inp = {k: v for k, v in publish_input(remote, **source).items() if k != "skeleton"}
    output = harness.run(inp)
    # Then the commit holds v1, rendered
    assert repos.files(remote, output["commitSha"]) == {"README.md": b"v1 svc\n"}


def test_a_skeleton_path_through_a_symlink_of_the_skeleton_repository_is_refused(
    git_config: GitConfig, remote: Path, remotes: Path, tmp_path: Path
) -> None:
    # Given a file of the worker's own, and a skeleton repository whose `x` links to its folder
    outside = tmp_path / "worker-files"
    (outside / "secrets").mkdir(parents=True)
    (outside / "secrets" / "token").write_text("ghp_worker_secret\n")
    skeletons = repos.bare_repository(remotes / "skeletons.git")
    work = tmp_path / "skeleton-work"
    repos.git("clone", "-q", str(skeletons), str(work))
    (work / "x").symlink_to(outside)
    repos.git("-C", str(work), "add", "x")
    repos.git("-C", str(work), "commit", "-q", "-m", "link")
    repos.git("-C", str(work), "push", "-q", "origin", "HEAD:main")
    harness = ActionHarness(publish_action(git_config), workspace_root=tmp_path / "ws")
    source = {"skeletonUrl": f"file://{skeletons}", "skeletonPath": "x/secrets"}
    # When git:publish is asked to render the skeleton at `x/secrets`
    inp = {k: v for k, v in publish_input(remote, **source).items() if k != "skeleton"}
    with pytest.raises(SkeletonError, match="through a symlink"):
        harness.run(inp)
    # Then nothing of the worker's was rendered or pushed
    assert repos.log(remote) == []


def test_a_rerun_after_the_push_needs_neither_the_skeleton_nor_git(
    git_config: GitConfig, remote: Path, remotes: Path, tmp_path: Path
) -> None:
    # Given a run from a skeleton repository whose attempt died right after its push
    skeletons = repos.bare_repository(remotes / "skeletons.git")
    repos.commit_files(skeletons, "v1", {"svc/README.md": "{{ name }}\n"}, "v1")
    harness = ActionHarness(publish_action(git_config), workspace_root=tmp_path / "ws")
    source = {"skeletonUrl": f"file://{skeletons}", "skeletonRef": "v1", "skeletonPath": "svc"}
    inp = {k: v for k, v in publish_input(remote, **source).items() if k != "skeleton"}
    with pytest.raises(SimulatedCrash):
        harness.run(inp, crash_after="git-publish.push.v1")
    (pushed,) = repos.log(remote)
    # When the skeleton's tag is deleted meanwhile and the pool runs the next attempt
    repos.git("--git-dir", str(skeletons), "update-ref", "-d", "refs/heads/v1")
    output = harness.run(inp)
    # Then it completes with the commit already pushed, and pushes nothing more
    assert output["commitSha"] == pushed and repos.log(remote) == [pushed]
