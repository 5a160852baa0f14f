"""How a token or an SSH key reaches git without showing in a URL, an argument, a log line.

The secret is written to a 0600 file in the attempt's workspace (removed with it). For HTTPS,
`GIT_ASKPASS` names a script that prints the configured user name when git asks for one
and the token file's content when it asks for the password; for SSH, `GIT_SSH_COMMAND` gives
ssh the key file with `IdentitiesOnly=yes`. Only the child's environment carries file paths,
never the secret itself.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path

from actionpool.actions.builtin.git.config import GitConfig

ASKPASS_SCRIPT = """#!/bin/sh
case "$1" in
  [Uu]sername*) printf '%s\\n' {username} ;;
  *) cat {token_file} ;;
esac
"""


def remote_kind(url: str) -> str:
    """'https' (also http), 'ssh' (also user@host:path) or 'file' for a checked remote URL."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("https", "http"):
        return "https"
    if scheme == "ssh" or (not scheme and not url.startswith("/")):
        return "ssh"
    return "file"


KEPT_FROM_WORKER = frozenset({"GIT_EXEC_PATH", "GIT_SSL_CAINFO", "GIT_SSL_CAPATH"})
"""The worker's own `GIT_*` variables a run's git still sees: where git is installed and
which CAs the operator trusts. Every other one (GIT_ASKPASS, GIT_CONFIG_COUNT/KEY/VALUE,
GIT_CONFIG_PARAMETERS, GIT_SSL_NO_VERIFY, GIT_CURL_VERBOSE and GIT_TRACE*, which would print
an Authorization header, ...) is removed, with SSH_AUTH_SOCK and SSH_ASKPASS."""


def dropped_variables(worker_env: Mapping[str, str], child_env: Mapping[str, str]) -> list[str]:
    """The variables of the worker's environment a git child must not inherit (GitPython
    starts every child from the worker's environment; `env -u` removes these)."""
    return sorted(
        name
        for name in worker_env
        if (name.startswith("GIT_") or name in ("SSH_AUTH_SOCK", "SSH_ASKPASS"))
        and name not in KEPT_FROM_WORKER
        and name not in child_env
    )


def isolation_env(config: GitConfig) -> dict[str, str]:
    """What every git child gets: no prompts, no user or system config (and so no credential
    helpers), only the allowed protocols."""
    protocols = [s for s in config.allowed_schemes if s in ("https", "http", "ssh")]
    if config.file_roots:
        protocols.append("file")
    return {
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_ALLOW_PROTOCOL": ":".join(protocols) or "none",
        "SSH_ASKPASS": "",
        "GCM_INTERACTIVE": "never",
    }


def _private_file(path: Path, content: str, mode: int = 0o600) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "w") as out:
        out.write(content)
    os.chmod(path, mode)
    return path


def credential_env(
    folder: Path,
    url: str,
    secrets: Mapping[str, str],
    *,
    token_secret: str,
    ssh_key_secret: str,
    config: GitConfig,
) -> dict[str, str]:
    """The environment git children need to reach `url` with the run's secret (if the run
    has the one its remote needs), the secret written under `folder` (created 0700)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    # HOME and XDG_CONFIG_HOME in the private folder: nothing of the worker's own (~/.netrc,
    # which git's curl reads, ~/.config/git) reaches a run
    env = {**isolation_env(config), "HOME": str(folder), "XDG_CONFIG_HOME": str(folder)}
    kind = remote_kind(url)
    if kind == "https" and secrets.get(token_secret):
        token_file = _private_file(folder / "token", secrets[token_secret])
        script = ASKPASS_SCRIPT.format(
            username=shlex.quote(config.https_username),
            token_file=shlex.quote(str(token_file)),
        )
        env["GIT_ASKPASS"] = str(_private_file(folder / "askpass", script, 0o700))
    elif kind == "ssh":
        env["GIT_SSH_COMMAND"] = ssh_command(folder, secrets.get(ssh_key_secret), config)
    return env


SSH_OPTIONS = (
    "-F",
    os.devnull,  # not the worker's ~/.ssh/config nor /etc/ssh/ssh_config
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "IdentitiesOnly=yes",  # only the run's key: never the worker's own ~/.ssh/id_* ...
    "-o",
    "IdentityAgent=none",  # ... nor the keys of an agent the worker's environment names
)


def ssh_command(folder: Path, private_key: str | None, config: GitConfig) -> str:
    """ssh in batch mode, checking host keys, offering the run's key (`-i <0600 key file>`)
    and no other: without one, no key at all."""
    parts = ["ssh", *SSH_OPTIONS]
    if config.ssh_known_hosts_file is not None:
        parts += ["-o", f"UserKnownHostsFile={config.ssh_known_hosts_file}"]
    if private_key:
        key = private_key if private_key.endswith("\n") else private_key + "\n"
        parts += ["-i", str(_private_file(folder / "ssh-key", key))]
    else:
        parts += ["-o", f"IdentityFile={os.devnull}"]
    return shlex.join(parts)
