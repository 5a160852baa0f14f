"""git:publish against a real smart-HTTP server (`git http-backend`) that wants a token,
behind a TCP proxy that drops connections: retries, and where the token does (not) go."""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from actionpool.actions.builtin.git.config import GitConfig
from actionpool.actions.builtin.git.publish import publish_action
from actionpool.actions.builtin.git.repository import GitError
from actionpool.actions.testing import ActionHarness
from tests.git import repos
from tests.git.http_server import GitHttpServer
from tests.git.proxy import DroppingProxy
from tests.unit.actions.builtin.git.hostile_corpus import make_library

TOKEN = "tok-9f8e7d6c5b4a"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[GitHttpServer]:
    repos.bare_repository(tmp_path / "projects" / "service.git")
    with GitHttpServer(tmp_path / "projects", token=TOKEN) as server:
        yield server


@pytest.fixture
def config(tmp_path: Path) -> GitConfig:
    return GitConfig(
        allowed_schemes=("http",),
        allowed_hosts=("127.0.0.1",),
        template_library_dir=make_library(tmp_path / "library", tmp_path / "canary"),
        network_attempts=4,
        retry_initial_delay_s=0.01,
        retry_max_delay_s=0.05,
    )


def publish(url: str) -> dict[str, object]:
    return {"skeleton": "hello", "values": {"name": "svc"}, "remoteUrl": url}


def test_dropped_connections_are_retried_and_the_push_lands_once(
    server: GitHttpServer, config: GitConfig, tmp_path: Path
) -> None:
    # Given a proxy in front of the git server that drops its first 2 connections
    with DroppingProxy(server.port, drop_first=2) as proxy:
        harness = ActionHarness(
            publish_action(config), workspace_root=tmp_path / "ws", secrets={"gitToken": TOKEN}
        )
        # When git:publish pushes through the proxy
        output = harness.run(publish(server.url("service.git", proxy.port)))
    # Then the proxy dropped 2 connections and relayed later ones, the action logged its
    # retries, and the remote has the one commit
    assert proxy.dropped == 2 and proxy.relayed >= 2
    warnings = harness.messages("warning")
    assert [w.split(" (")[0] for w in warnings] == [
        "git fetch failed on try 1 of 4",
        "git fetch failed on try 2 of 4",
    ]
    remote = tmp_path / "projects" / "service.git"
    assert repos.log(remote) == [output["commitSha"]]
    assert [p.status for p in server.pushes()] == [200]


def test_the_token_reaches_git_only_through_askpass(
    server: GitHttpServer, config: GitConfig, tmp_path: Path
) -> None:
    # Given a push held by the server while it is in flight
    gate = server.hold("receive-pack")
    harness = ActionHarness(
        publish_action(config), workspace_root=tmp_path / "ws", secrets={"gitToken": TOKEN}
    )
    done: list[dict[str, object]] = []
    runner = threading.Thread(
        target=lambda: done.append(harness.run(publish(server.url("service.git"))))
    )
    runner.start()
    assert gate.held.wait(30), "the push never reached the server"
    # When the processes of this test are looked at during the push
    seen = {pid: _process_text(pid) for pid in _descendants(os.getpid())}
    gate.release()
    runner.join(60)
    # Then git is at work, its arguments and environment hold no token, and the push
    # authenticated (as the configured user) with it all the same
    assert any(b"git" in text for text in seen.values()), seen
    assert not any(TOKEN.encode() in text for text in seen.values())
    assert done and server.pushes()[0].user == "x-access-token"
    assert not any(TOKEN in line for line in harness.messages())


def test_a_refused_token_fails_permanently_without_showing_it(
    server: GitHttpServer, config: GitConfig, tmp_path: Path
) -> None:
    # Given a run whose token the server refuses
    harness = ActionHarness(
        publish_action(config),
        workspace_root=tmp_path / "ws",
        secrets={"gitToken": "wrong-token-1"},
    )
    # When git:publish runs
    with pytest.raises(GitError) as failed:
        harness.run(publish(server.url("service.git")))
    # Then the failure is permanent, says authentication failed, and shows no token
    assert "Authentication failed" in str(failed.value) or "401" in str(failed.value)
    assert "wrong-token-1" not in str(failed.value)
    assert not any("wrong-token-1" in line for line in harness.messages())


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for child in Path(f"/proc/{parent}/task").glob("*/children"):
            pids = [int(p) for p in child.read_text().split()]
            found += pids
            todo += pids
    return found


def _process_text(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes() + Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return b""


def test_a_run_without_a_token_never_borrows_the_worker_s_netrc(
    server: GitHttpServer, config: GitConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a worker whose own ~/.netrc holds credentials the server accepts (git's curl
    # reads it)
    home = tmp_path / "worker-home"
    home.mkdir()
    netrc = home / ".netrc"
    netrc.write_text(f"machine 127.0.0.1 login x-access-token password {TOKEN}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(home))
    # When a run that sent no token publishes there
    harness = ActionHarness(publish_action(config), workspace_root=tmp_path / "ws")
    with pytest.raises(GitError):
        harness.run(publish(server.url("service.git")))
    # Then git had no credential to offer: nothing was pushed
    assert server.pushes() == []
    assert repos.log(tmp_path / "projects" / "service.git") == []


def test_a_run_without_a_token_never_borrows_the_worker_s_git_environment(
    server: GitHttpServer, config: GitConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a worker whose environment would hand git the token: an askpass program, a
    # config header, and curl's verbose trace (which would print it)
    askpass = tmp_path / "worker-askpass"
    askpass.write_text(f"#!/bin/sh\necho {TOKEN}\n")
    askpass.chmod(0o700)
    basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    monkeypatch.setenv("GIT_ASKPASS", str(askpass))
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "http.extraHeader")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", f"Authorization: Basic {basic}")
    monkeypatch.setenv("GIT_CURL_VERBOSE", "1")
    # When a run that sent no token publishes there
    harness = ActionHarness(publish_action(config), workspace_root=tmp_path / "ws")
    with pytest.raises(GitError) as failed:
        harness.run(publish(server.url("service.git")))
    # Then git offered nothing of the worker's: nothing was pushed, nothing traced
    assert server.pushes() == []
    assert repos.log(tmp_path / "projects" / "service.git") == []
    assert basic not in str(failed.value) and "Authorization" not in str(failed.value)
