"""git:publish through the real API and a real worker: every input of the hostile corpus is
refused with a 422 before anything runs (no run stored, no canary), and a real publish."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.e2e.pools import FaultPool, own_pool
from tests.git import repos
from tests.unit.actions.builtin.git.hostile_corpus import BASE, CORPUS, make_library


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("git-publish")
    canary = root / "canary"
    return {
        "root": root,
        "canary": canary,
        "library": make_library(root / "library", canary),
        "remotes": (root / "remotes").resolve(),
    }


@pytest.fixture(scope="module")
def git_pool(redis_url: str, folders: dict[str, Path]) -> Iterator[FaultPool]:
    folders["remotes"].mkdir(exist_ok=True)
    env = {
        "ACTIONPOOL_GIT__TEMPLATE_LIBRARY_DIR": str(folders["library"]),
        "ACTIONPOOL_GIT__FILE_ROOTS": json.dumps([str(folders["remotes"])]),
    }
    with own_pool(redis_url, folders["root"], **env) as pool:
        yield pool


def stored_runs(pool: FaultPool) -> int:
    client = redis.Redis.from_url(pool.env["ACTIONPOOL_REDIS_URL"])
    return sum(1 for _ in client.scan_iter(match=f"{pool.prefix}run:*", count=1000))


def post(pool: FaultPool, input: dict[str, object]) -> httpx.Response:
    """POST a run of git:publish; NaN goes out as Python's json writes it."""
    body = json.dumps({"input": input})
    headers = {"Content-Type": "application/json"}
    return pool.http.post("/v1/actions/git:publish/runs", content=body, headers=headers)


def test_every_hostile_input_is_refused_with_422_and_nothing_runs(
    git_pool: FaultPool, folders: dict[str, Path]
) -> None:
    # Given the pool, and how many runs it stored so far
    before = stored_runs(git_pool)
    # When each input of the hostile corpus is posted to the create-run route
    answers = {h.id: post(git_pool, h.input(folders["canary"])) for h in CORPUS}
    # Then each is a 422 with Backstage's error body naming the input
    for id, answer in answers.items():
        assert answer.status_code == 422, (id, answer.text)
        body = answer.json()
        assert body["error"]["name"] == "InputValidationError", (id, body)
        assert body["response"] == {"statusCode": 422}
        assert all(d["path"].startswith("input") for d in body["error"]["details"]), body
    # And nothing ran: no run was stored, and no canary was made
    assert stored_runs(git_pool) == before
    assert not folders["canary"].exists()


def test_a_run_publishes_the_skeleton_and_reports_its_commit(
    git_pool: FaultPool, folders: dict[str, Path]
) -> None:
    # Given an empty bare repository under the pool's file root
    remote = repos.bare_repository(folders["remotes"] / "e2e.git")
    # When git:publish runs on the real worker
    started = git_pool.start_run("git:publish", {**BASE, "remoteUrl": f"file://{remote}"})
    assert started.status_code == 202, started.text
    run = git_pool.wait_run(started.json()["id"], wait_s=60)
    # Then it completed with the commit now on the remote's main, carrying the run's trailer
    assert run["status"] == "completed", run
    sha = run["output"]["commitSha"]
    assert repos.log(remote) == [sha] == repos.runs_of(remote, run["id"])
    assert run["output"] == {"remoteUrl": f"file://{remote}", "branch": "main", "commitSha": sha}
