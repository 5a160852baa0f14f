"""git:publish against a real `sshd` (tests/git/ssh_server.py) serving bare repositories
through git-shell to the keys it authorizes: the key from the run's secrets gets the push in,
it shows nowhere on the way, a wrong key, an unknown host key or a missing repository fails
for good, and a re-run after a crash pushes no second commit."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from actionpool.actions.builtin.git.config import GitConfig
from actionpool.actions.builtin.git.publish import publish_action
from actionpool.actions.errors import NonRetryableActionError, RetryableActionError
from actionpool.actions.testing import ActionHarness, SimulatedCrash
from tests.git import repos
from tests.git.ssh_server import GitSshServer, KeyPair
from tests.unit.actions.builtin.git.hostile_corpus import make_library
from tests.waiting import wait_until

CHECKPOINTS = ["git-publish.stamp.v1", "git-publish.commit.v1", "git-publish.push.v1"]


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    return repos.bare_repository(tmp_path / "projects" / "service.git")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[GitSshServer]:
    with GitSshServer(tmp_path / "sshd") as server:
        yield server


@pytest.fixture
def key(server: GitSshServer) -> KeyPair:
    """The deploy key the server lets in."""
    key = server.new_key("deploy")
    server.authorize(key)
    return key


def git_config(tmp_path: Path, known_hosts: Path) -> GitConfig:
    return GitConfig(
        allowed_schemes=("ssh",),
        allowed_hosts=("127.0.0.1",),
        template_library_dir=make_library(tmp_path / "library", tmp_path / "canary"),
        ssh_known_hosts_file=known_hosts,
        retry_initial_delay_s=0.01,
        retry_max_delay_s=0.05,
    )


@pytest.fixture
def config(tmp_path: Path, server: GitSshServer) -> GitConfig:
    return git_config(tmp_path, server.known_hosts)


def publish(url: str) -> dict[str, object]:
    return {"skeleton": "hello", "values": {"name": "svc"}, "remoteUrl": url}


def key_parts(key: KeyPair) -> list[str]:
    """The private key, and each line of its body: none of them may show anywhere."""
    body = [line for line in key.private.splitlines() if line and "PRIVATE KEY" not in line]
    return [key.private.strip(), *body]


def test_the_key_from_the_secrets_pushes_one_commit(
    server: GitSshServer, key: KeyPair, config: GitConfig, remote: Path, tmp_path: Path
) -> None:
    # Given an empty repository on the SSH server and the deploy key in the run's secrets
    harness = ActionHarness(
        publish_action(config),
        workspace_root=tmp_path / "ws",
        secrets={"gitSshPrivateKey": key.private},
    )
    # When git:publish pushes to it over ssh://
    output = harness.run(publish(server.url(remote)))
    # Then the repository's main is the one commit the run reports, the rendered skeleton,
    # pushed by one git-receive-pack session of the deploy key
    assert repos.log(remote) == [output["commitSha"]]
    assert repos.runs_of(remote, harness.run_id) == [output["commitSha"]]
    assert repos.files(remote, output["commitSha"])["README.md"] == b"# svc\n"
    assert server.pushes() == [f"git-receive-pack '{remote.resolve()}'"]
    assert "Accepted publickey for" in server.log()


def test_the_key_reaches_ssh_only_as_a_file(
    server: GitSshServer, key: KeyPair, config: GitConfig, remote: Path, tmp_path: Path
) -> None:
    # Given a push the server holds once ssh authenticated it, before git-shell runs
    gate = server.hold("receive-pack")
    harness = ActionHarness(
        publish_action(config),
        workspace_root=tmp_path / "ws",
        secrets={"gitSshPrivateKey": key.private},
    )
    done: list[dict[str, object]] = []
    failed: list[BaseException] = []

    def attempt() -> None:
        try:
            done.append(harness.run(publish(server.url(remote))))
        except Exception as exc:
            failed.append(exc)

    runner = threading.Thread(target=attempt, daemon=True)
    runner.start()
    wait_until(lambda: gate.is_held() or failed, timeout_s=30, what="the push to reach sshd")
    assert not failed, failed
    # When the processes of this test, and the key files their ssh was given, are looked
    # at during the push
    seen = [_process(pid) for pid in _descendants(os.getpid())]
    clients = [argv for argv, _ in seen if argv and os.path.basename(argv[0]) == b"ssh"]
    key_files = {Path(argv[argv.index(b"-i") + 1].decode()) for argv in clients if b"-i" in argv}
    modes = {f: f.stat().st_mode & 0o777 for f in key_files}
    key_file_text = {f.read_text() for f in key_files}
    landed_while_held = repos.log(remote)
    gate.release()
    runner.join(60)
    # Then nothing had landed yet, git and ssh were at work, ssh was given the key as a 0600
    # file of the attempt's workspace (gone with it) and used no other, no argument or
    # environment holds the key or a line of it, and the push landed with it all the same
    assert landed_while_held == []
    programs = [os.path.basename(argv[0]) for argv, _ in seen if argv]
    assert b"git" in programs and b"ssh" in programs, programs
    assert all(b"-i" in argv and b"IdentitiesOnly=yes" in argv for argv in clients)
    assert key_file_text == {key.private} and set(modes.values()) == {0o600}
    assert all(f.is_relative_to(tmp_path / "ws") and not f.exists() for f in key_files)
    for part in key_parts(key):
        assert not any(part.encode() in b"\0".join(argv) for argv, _ in seen)
        assert not any(part.encode() in environ for _, environ in seen)
        assert not any(part in line for line in harness.messages())
        assert part not in str(done)
    assert not failed and done and repos.log(remote) == [done[0]["commitSha"]]


def test_a_key_the_server_refuses_fails_permanently_without_showing_it(
    server: GitSshServer, key: KeyPair, config: GitConfig, remote: Path, tmp_path: Path
) -> None:
    # Given a run whose secrets hold a key the server does not know
    stranger = server.new_key("stranger")
    harness = ActionHarness(
        publish_action(config),
        workspace_root=tmp_path / "ws",
        secrets={"gitSshPrivateKey": stranger.private},
    )
    # When git:publish runs
    with pytest.raises(NonRetryableActionError) as failed:
        harness.run(publish(server.url(remote)))
    # Then the failure is permanent at once (no retries), says the key was refused, shows no
    # key, and nothing reached git on the server
    assert not isinstance(failed.value, RetryableActionError)
    assert "Permission denied (publickey)" in str(failed.value)
    assert harness.messages("warning") == []
    for part in key_parts(stranger):
        assert part not in str(failed.value)
        assert not any(part in line for line in harness.messages())
    assert server.commands() == [] and repos.log(remote) == []


@pytest.fixture
def worker_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real ssh-agent, named by the worker's own environment (SSH_AUTH_SOCK)."""
    socket = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(socket)], stdout=subprocess.DEVNULL)
    try:
        wait_until(socket.exists, timeout_s=10, what="ssh-agent's socket")
        monkeypatch.setenv("SSH_AUTH_SOCK", str(socket))
        yield str(socket)
    finally:
        agent.terminate()
        agent.wait(timeout=10)


def test_a_run_without_a_key_never_borrows_the_worker_s_own(
    server: GitSshServer, key: KeyPair, config: GitConfig, remote: Path, tmp_path: Path,
    worker_agent: str,
) -> None:  # fmt: skip
    # Given a worker whose own ssh-agent holds a key the server lets in
    subprocess.run(
        ["ssh-add", str(key.private_file)],
        env={**os.environ, "SSH_AUTH_SOCK": worker_agent},
        check=True,
        capture_output=True,
    )
    # When a run that sent no key publishes there
    harness = ActionHarness(publish_action(config), workspace_root=tmp_path / "ws")
    with pytest.raises(NonRetryableActionError, match="Permission denied"):
        harness.run(publish(server.url(remote)))
    # Then ssh offered neither the agent's key nor any file of the worker's: nothing landed
    assert server.commands() == [] and repos.log(remote) == []


def test_a_repository_the_server_does_not_have_fails_permanently(
    server: GitSshServer, key: KeyPair, config: GitConfig, tmp_path: Path
) -> None:
    # Given the right key and a path the server has no repository at
    missing = tmp_path / "projects" / "missing.git"
    harness = ActionHarness(
        publish_action(config),
        workspace_root=tmp_path / "ws",
        secrets={"gitSshPrivateKey": key.private},
    )
    # When git:publish runs
    with pytest.raises(NonRetryableActionError) as failed:
        harness.run(publish(server.url(missing)))
    # Then git-shell was reached and said so, and the run fails at once, without retries
    assert not isinstance(failed.value, RetryableActionError)
    assert "does not appear to be a git repository" in str(failed.value)
    assert harness.messages("warning") == []
    assert len(server.commands()) == 1 and not missing.exists()


@pytest.mark.parametrize("pinned", ["another host", "another key"])
def test_a_server_whose_host_key_is_not_known_is_refused(
    pinned: str, server: GitSshServer, key: KeyPair, remote: Path, tmp_path: Path
) -> None:
    # Given a known_hosts file that has the server's address with another key, or only
    # another host with the server's key
    other = server.new_key("impostor").public.split()
    real = server.known_hosts.read_text().split()
    entry = (
        f"[127.0.0.1]:{server.port} {other[0]} {other[1]}"
        if pinned == "another key"
        else f"[127.0.0.2]:{server.port} {real[1]} {real[2]}"
    )
    known_hosts = tmp_path / "pinned_known_hosts"
    known_hosts.write_text(entry + "\n")
    harness = ActionHarness(
        publish_action(git_config(tmp_path, known_hosts)),
        workspace_root=tmp_path / "ws",
        secrets={"gitSshPrivateKey": key.private},
    )
    # When git:publish runs with the right key
    with pytest.raises(NonRetryableActionError) as failed:
        harness.run(publish(server.url(remote)))
    # Then ssh refuses the host before authenticating, for good, and no push lands
    assert not isinstance(failed.value, RetryableActionError)
    assert "Host key verification failed" in str(failed.value)
    assert server.commands() == [] and repos.log(remote) == []
    assert "Accepted publickey" not in server.log()


@pytest.mark.parametrize("crash_after", CHECKPOINTS)
def test_a_rerun_after_a_crash_pushes_one_commit(
    crash_after: str,
    server: GitSshServer,
    key: KeyPair,
    config: GitConfig,
    remote: Path,
    tmp_path: Path,
) -> None:
    # Given an attempt over SSH that crashed right after a checkpoint was stored
    harness = ActionHarness(
        publish_action(config),
        workspace_root=tmp_path / "ws",
        secrets={"gitSshPrivateKey": key.private},
    )
    with pytest.raises(SimulatedCrash):
        harness.run(publish(server.url(remote)), crash_after=crash_after)
    # When the run is attempted again, and once more
    output = harness.run(publish(server.url(remote)))
    again = harness.run(publish(server.url(remote)))
    # Then the repository has exactly one commit, the run's, the one both attempts report,
    # and it was pushed by a single git-receive-pack session
    assert repos.runs_of(remote, harness.run_id) == [output["commitSha"]] == repos.log(remote)
    assert again["commitSha"] == output["commitSha"]
    assert len(server.pushes()) == 1


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for child in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                pids = [int(p) for p in child.read_text().split()]
            except OSError:
                continue
            found += pids
            todo += pids
    return found


def _process(pid: int) -> tuple[list[bytes], bytes]:
    """The process's arguments and its environment (nothing for one already gone)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        return cmdline.split(b"\0")[:-1], Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return [], b""
