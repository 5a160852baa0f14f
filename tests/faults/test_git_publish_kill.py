"""kill -9 of the real `celery worker` at each stage of git:publish (pushing over smart HTTP
to a real git server): the recovered run pushes exactly one commit and reports it."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.e2e.pools import FaultPool, own_pool
from tests.git import repos
from tests.git.http_server import Gate, GitHttpServer
from tests.unit.actions.builtin.git.hostile_corpus import BASE, make_library
from tests.waiting import wait_until

TOKEN = "kill-test-token-51"
COMMIT_CHECKPOINT = "git-publish.commit.v1"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[GitHttpServer]:
    repos.bare_repository(tmp_path / "projects" / "service.git")
    with GitHttpServer(tmp_path / "projects", token=TOKEN) as server:
        yield server


@pytest.fixture
def pool(redis_url: str, tmp_path: Path) -> Iterator[FaultPool]:
    env = {
        "ACTIONPOOL_GIT__ALLOWED_SCHEMES": json.dumps(["http"]),
        "ACTIONPOOL_GIT__ALLOWED_HOSTS": json.dumps(["127.0.0.1"]),
        "ACTIONPOOL_GIT__TEMPLATE_LIBRARY_DIR": str(make_library(tmp_path / "lib", tmp_path / "c")),
    }
    with own_pool(redis_url, tmp_path, **env) as pool:
        yield pool


def commit_checkpoint(pool: FaultPool, run_id: str) -> str | None:
    client = redis.Redis.from_url(pool.env["ACTIONPOOL_REDIS_URL"], decode_responses=True)
    value = client.hget(f"{pool.prefix}run:{run_id}:checkpoints", COMMIT_CHECKPOINT)
    return json.loads(value)["sha"] if value else None


def kill_while_held(
    pool: FaultPool, server: GitHttpServer, gate: Gate
) -> tuple[dict[str, object], str | None]:
    """Start a run, SIGKILL its worker while the server holds it at `gate`, let a new
    worker recover it; the ended run, and its commit checkpoint at the kill."""
    input = {**BASE, "remoteUrl": server.url("service.git")}
    started = pool.start_run("git:publish", input, secrets={"gitToken": TOKEN})
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    assert gate.held.wait(60), "the run never reached the gate"
    if gate.service == "receive-pack":  # a push is under way: the commit is checkpointed
        wait_until(lambda: commit_checkpoint(pool, run_id), what="the commit checkpoint")
    at_kill = commit_checkpoint(pool, run_id)
    pool.workers[0].signal_group(signal.SIGKILL)
    pool.workers[0].process.wait(30)
    gate.release()
    pool.add_worker()
    run: dict[str, object] = pool.wait_run(run_id, wait_s=60)
    return run, at_kill


@pytest.mark.parametrize(
    ("stage", "service", "after", "drop"),
    [
        ("before commit (fetching)", "upload-pack", False, False),
        ("after the commit checkpoint (pushing)", "receive-pack", False, True),
        ("after the push landed", "receive-pack", True, False),
    ],
)
def test_kill_9_at_a_stage_leaves_exactly_one_commit(
    stage: str,
    service: str,
    after: bool,
    drop: bool,
    pool: FaultPool,
    server: GitHttpServer,
    tmp_path: Path,
) -> None:
    # Given a git server holding the run at the stage (a push held after landing, or before)
    gate = server.hold(service, after=after, drop=drop)
    # When the worker running it is killed with SIGKILL there, and a new worker recovers it
    run, at_kill = kill_while_held(pool, server, gate)
    # Then the run completed on a later attempt after the first was recorded lost
    assert run["status"] == "completed", run
    attempts = run["attempts"]
    assert isinstance(attempts, list) and len(attempts) >= 2, stage
    assert attempts[0]["error"]["name"] == "WorkerLostError"
    # And the remote has exactly one commit of the run: the one the run reports
    remote = tmp_path / "projects" / "service.git"
    output = run["output"]
    assert isinstance(output, dict)
    assert repos.log(remote) == [output["commitSha"]] == repos.runs_of(remote, str(run["id"]))
    # And a commit checkpointed before the kill is the very commit pushed after it
    assert at_kill in (None, output["commitSha"])
    assert (at_kill is None) == (service == "upload-pack")
    assert commit_checkpoint(pool, str(run["id"])) == output["commitSha"]
    # And after a landed push, the recovering attempt recognised it and pushed nothing more
    landed = [p for p in server.pushes() if p.status == 200]
    assert len(landed) == 1, server.pushes()
