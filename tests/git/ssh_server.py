"""A private `sshd` on a free port of 127.0.0.1 serving bare repositories through `git-shell`,
to the keys a test authorizes, and able to hold a service's sessions at a gate.

    with GitSshServer(tmp_path / "sshd") as server:
        key = server.new_key("deploy")          # a fresh ed25519 key pair
        server.authorize(key)                   # its public key may run git commands
        url = server.url(repo)                  # ssh://<user>@127.0.0.1:<port>/<abs path>
        server.known_hosts                      # [127.0.0.1]:<port> <the host key>
        gate = server.hold("receive-pack")
        ...                                     # wait_until(gate.is_held): a push is held
        gate.release()

The server is `sshd -D -e` (foreground, logging to `sshd.log`), with its own host key,
config, authorized_keys and pid file under its folder, only public-key authentication, and
every key `command=`-bound to a wrapper that records the command, waits at a gate if one is
closed, then runs `git-shell -c "$SSH_ORIGINAL_COMMAND"`: no shell, no forwarding, no pty.
It authenticates as the user running the tests (sshd logs in OS users): `getpass.getuser()`.
"""

from __future__ import annotations

import dataclasses
import fcntl
import getpass
import os
import shlex
import socket
import subprocess
from pathlib import Path
from types import TracebackType
from typing import IO

from tests.waiting import wait_until

SSHD = os.environ.get("ACTIONPOOL_TEST_SSHD", "/usr/sbin/sshd")
PRIVILEGE_SEPARATION_DIR = Path("/run/sshd")
"""sshd run as root wants it (owned by root, not group or world writable)."""

WRAPPER = """#!/bin/sh
# The only command an authorized key runs: record it, wait at a closed gate, run git-shell.
printf '%s\\n' "$SSH_ORIGINAL_COMMAND" >> {commands}
case "$SSH_ORIGINAL_COMMAND" in
  git-receive-pack\\ *) service=receive-pack ;;
  git-upload-pack\\ *) service=upload-pack ;;
  *) service=other ;;
esac
if [ -e {gates}/$service.lock ]; then
  : > {gates}/$service.held
  flock --shared {gates}/$service.lock true
fi
exec git-shell -c "$SSH_ORIGINAL_COMMAND"
"""


@dataclasses.dataclass(frozen=True)
class KeyPair:
    private_file: Path
    public_file: Path

    @property
    def private(self) -> str:
        """The private key, as a run's secret would carry it (OpenSSH format)."""
        return self.private_file.read_text()

    @property
    def public(self) -> str:
        return self.public_file.read_text().strip()


@dataclasses.dataclass
class Gate:
    """Holds the sessions of one service (`upload-pack`: fetches, `receive-pack`: pushes)
    before git-shell runs, by an exclusive lock of this process the wrapper waits for (a
    shared lock); once released, later sessions pass."""

    lock_file: Path
    held_file: Path
    lock: IO[bytes] | None = None

    def is_held(self) -> bool:
        """A session reached the gate (and waits there while the gate is closed)."""
        return self.held_file.exists()

    def release(self) -> None:
        if self.lock is not None:
            fcntl.flock(self.lock, fcntl.LOCK_UN)
            self.lock.close()
            self.lock = None


class GitSshServer:
    def __init__(self, folder: Path, user: str | None = None) -> None:
        self.folder = folder
        self.user = user or getpass.getuser()
        self.gates_dir = folder / "gates"
        self.commands_file = folder / "commands.log"
        self.authorized_keys = folder / "authorized_keys"
        self.log_file = folder / "sshd.log"
        self.known_hosts = folder / "known_hosts"
        self.host_key = folder / "host_key"
        self.wrapper = folder / "serve-git"
        self.port = 0
        self.gates: list[Gate] = []
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> GitSshServer:
        self.gates_dir.mkdir(parents=True)
        self.commands_file.touch()
        self.authorized_keys.touch()
        _keygen(self.host_key, "actionpool-test-host")
        self.wrapper.write_text(
            WRAPPER.format(
                commands=shlex.quote(str(self.commands_file)),
                gates=shlex.quote(str(self.gates_dir)),
            )
        )
        self.wrapper.chmod(0o755)
        if os.geteuid() == 0:
            PRIVILEGE_SEPARATION_DIR.mkdir(mode=0o755, exist_ok=True)
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        host_key = (self.host_key.with_suffix(".pub")).read_text().split()
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {host_key[0]} {host_key[1]}\n")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for gate in self.gates:
            gate.release()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _start(self) -> None:
        """sshd on a free port, ready once the port answers with an SSH-2.0 banner (a port
        taken meanwhile by someone else: tried again on another)."""
        for _ in range(3):
            self.port = _free_port()
            config = self.folder / "sshd_config"
            config.write_text(self._config())
            subprocess.run([SSHD, "-t", "-f", str(config)], check=True, capture_output=True)
            with self.log_file.open("ab") as log:
                self.process = subprocess.Popen(
                    [SSHD, "-D", "-e", "-f", str(config)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                )
            ready = wait_until(
                lambda: (
                    self.process is not None
                    and (
                        self.process.poll() is not None or _banner(self.port).startswith("SSH-2.0")
                    )
                ),
                what=f"sshd to answer on 127.0.0.1:{self.port} (log: {self.log_file})",
            )
            if ready and self.process.poll() is None:
                return
        raise RuntimeError(f"sshd did not start: {self.log_file.read_text()[-2_000:]}")

    def _config(self) -> str:
        return "\n".join(
            [
                "ListenAddress 127.0.0.1",
                f"Port {self.port}",
                f"HostKey {self.host_key}",
                f"PidFile {self.folder / 'sshd.pid'}",
                f"AuthorizedKeysFile {self.authorized_keys}",
                f"AllowUsers {self.user}",
                "PermitRootLogin prohibit-password",
                "AuthenticationMethods publickey",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",
                "PermitUserEnvironment no",
                "AcceptEnv GIT_PROTOCOL",
                "AllowTcpForwarding no",
                "AllowAgentForwarding no",
                "X11Forwarding no",
                "PermitTTY no",
                "PrintMotd no",
                "LogLevel VERBOSE",
                "",
            ]
        )

    def new_key(self, name: str) -> KeyPair:
        """A fresh ed25519 key pair (not authorized until `authorize`)."""
        private = self.folder / "keys" / name
        private.parent.mkdir(exist_ok=True)
        _keygen(private, f"actionpool-test-{name}")
        return KeyPair(private, private.with_suffix(".pub"))

    def authorize(self, key: KeyPair) -> None:
        """Let `key` run git commands, through the wrapper only."""
        options = f'command="{self.wrapper}",no-port-forwarding,no-agent-forwarding,no-pty'
        with self.authorized_keys.open("a") as keys:
            keys.write(f"{options},no-X11-forwarding {key.public}\n")

    def url(self, repo: Path) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}{repo.resolve()}"

    def hold(self, service: str) -> Gate:
        """Hold the sessions of `git-<service>` until the gate is released."""
        gate = Gate(self.gates_dir / f"{service}.lock", self.gates_dir / f"{service}.held")
        gate.lock = gate.lock_file.open("wb")
        fcntl.flock(gate.lock, fcntl.LOCK_EX)
        self.gates.append(gate)
        return gate

    def commands(self) -> list[str]:
        """The git commands the authorized keys ran (`git-receive-pack '/path'`), in order."""
        return self.commands_file.read_text().splitlines()

    def pushes(self) -> list[str]:
        return [c for c in self.commands() if c.startswith("git-receive-pack ")]

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")


def _keygen(path: Path, comment: str) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _banner(port: int) -> str:
    """The first line the port sends ('' while nothing accepts)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
            return conn.makefile("rb").readline(256).decode("latin-1")
    except OSError:
        return ""
