"""`Repository`: the git operations of a publish, run through GitPython in the workspace.

Every command gets `--` before the URL and refs it is given (checked beforehand anyway), no
hooks, no credential helpers, no redirects, no `ext::`; a failure becomes `TransientGitError`
(retryable: the network) or `GitError` (permanent), its message free of URL user-info.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path

import git

from actionpool.actions.builtin.git.credentials import dropped_variables
from actionpool.actions.builtin.git.safety import scrub_url
from actionpool.actions.errors import NonRetryableActionError, RetryableActionError

TRAILER_KEY = "Actionpool-Run"
"""The commit-message trailer carrying the run id: how a retry recognises its own commit."""
SAFE_CONFIG = (
    "core.hooksPath=/dev/null",
    "credential.helper=",
    "http.followRedirects=false",
    "protocol.ext.allow=never",
    "protocol.fd.allow=never",
    "commit.gpgSign=false",
    "core.fsmonitor=false",
)
TRANSIENT = re.compile(
    r"could not resolve host|connection (?:refused|reset|timed out)|failed to connect|"
    r"timed out|the remote end hung up|early eof|rpc failed|empty reply from server|"
    r"returned error: 5\d\d|error: 5\d\d|unexpected disconnect|broken pipe|"
    r"recv failure|send failure|could not read from remote|operation too slow|timeout",
    re.IGNORECASE,
)
PERMANENT = re.compile(
    r"permission denied \((?:publickey|password|keyboard-interactive)|"
    r"host key verification failed|too many authentication failures|"
    r"does not appear to be a git repository|repository not found",
    re.IGNORECASE,
)
"""What ssh (and an SSH git server) says when trying again cannot help: a key it refuses, a
host key it does not know or that changed, no such repository. ssh's failures all end with
`Could not read from remote repository`, which TRANSIENT takes for a dropped connection:
these are looked for first."""
NO_SUCH_REF = re.compile(r"couldn't find remote ref|could not find remote ref", re.IGNORECASE)
REJECTED = re.compile(
    r"\[rejected\]|non-fast-forward|fetch first|cannot lock ref|failed to update ref", re.I
)
"""The branch moved on (or another push was updating it): fetch, commit again, push."""
REFUSED_BY_REMOTE = re.compile(r"\[remote rejected\]", re.I)
"""A protected branch, a declined hook: fetching and committing again cannot mend it."""


class GitError(NonRetryableActionError):
    """Raised when git failed in a way trying again cannot mend (refused credentials, no such
    repository, a protected branch)."""


class TransientGitError(RetryableActionError):
    """Raised when git failed on the network (refused or dropped connections, timeouts, 5xx):
    retried within the attempt, then by the action's retry policy."""


class PushRejectedError(GitError):
    """Raised when the remote branch moved on and a push without force is refused."""


def failure(operation: str, exc: git.GitCommandError) -> GitError | TransientGitError:
    """The action error for a failed git command: its stderr (user-info scrubbed), never its
    arguments."""
    stderr = exc.stderr if isinstance(exc.stderr, str) else str(exc.stderr or "")
    stderr = re.sub(r"^\s*stderr: '(.*)'\s*$", r"\1", stderr, flags=re.DOTALL)
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    detail = scrub_url(" | ".join(lines[-6:]))[:2_000] or f"exit status {exc.status}"
    message = f"git {operation} failed: {detail}"
    if REJECTED.search(stderr):
        return PushRejectedError(message)
    if REFUSED_BY_REMOTE.search(stderr):
        return GitError(message)  # the server's reason, as it gave it
    if PERMANENT.search(stderr):
        return GitError(message)
    if TRANSIENT.search(stderr) or exc.status is None or exc.status == -9:
        return TransientGitError(message)
    return GitError(message)


@dataclasses.dataclass(frozen=True)
class Identity:
    name: str
    email: str
    timestamp: int
    """Seconds since the epoch, UTC: the same on every attempt, so the commit is too."""

    def env(self) -> dict[str, str]:
        date = f"{self.timestamp} +0000"
        return {
            "GIT_AUTHOR_NAME": self.name,
            "GIT_AUTHOR_EMAIL": self.email,
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_NAME": self.name,
            "GIT_COMMITTER_EMAIL": self.email,
            "GIT_COMMITTER_DATE": date,
        }


class Repository:
    """A bare repository in the workspace that fetches, commits a tree and pushes."""

    TRACKING = "refs/actionpool/target"

    def __init__(self, git_dir: Path, env: Mapping[str, str], timeout_s: float) -> None:
        self.git_dir = git_dir
        self.env = dict(env)
        self.timeout_s = timeout_s
        self.repo = git.Repo.init(git_dir, mkdir=True, bare=True)

    def run(self, operation: str, *args: str, env: Mapping[str, str] | None = None) -> str:
        child_env = {**self.env, **(env or {})}
        unset = [f"--unset={name}" for name in dropped_variables(os.environ, child_env)]
        command = [*(["env", *unset] if unset else []), "git", "--git-dir", str(self.git_dir)]
        for setting in SAFE_CONFIG:
            command += ["-c", setting]
        try:
            output: str = self.repo.git.execute(
                [*command, *args], env=child_env, kill_after_timeout=self.timeout_s
            )
        except git.GitCommandError as exc:
            raise failure(operation, exc) from None
        return output

    def fetch_branch(self, url: str, branch: str, depth: int) -> str | None:
        """The tip of `branch` on the remote, fetched (its last `depth` commits); None when
        the remote has no such branch (or no branch at all)."""
        refspec = f"+refs/heads/{branch}:{self.TRACKING}"
        try:
            self.run("fetch", "fetch", "--no-tags", f"--depth={depth}", "--", url, refspec)
        except GitError as exc:
            if NO_SUCH_REF.search(str(exc)):
                return None
            raise
        return self.run("rev-parse", "rev-parse", "--verify", f"{self.TRACKING}^{{commit}}")

    def find_trailer(self, tip: str, value: str, depth: int) -> str | None:
        """The newest commit within `depth` of `tip` whose `Actionpool-Run` trailer is
        `value`."""
        pretty = f"--format=%H %(trailers:key={TRAILER_KEY},valueonly,separator=%x2C)"
        log = self.run("log", "log", f"--max-count={depth}", pretty, tip, "--")
        for line in log.splitlines():
            sha, _, values = line.partition(" ")
            if value in (v.strip() for v in values.split(",")):
                return sha
        return None

    def commit(self, tree: Path, parent: str | None, message: str, identity: Identity) -> str:
        """A commit of `tree`'s files laid over `parent`'s (new files added, changed ones
        replaced, the others kept); the same inputs give the same SHA."""
        index_env = {"GIT_INDEX_FILE": str(self.git_dir / "publish-index")}
        work = ["--work-tree", str(tree)]
        if parent:
            self.run("read-tree", "read-tree", parent, env=index_env)
        self.run("add", *work, "add", "--force", "--ignore-removal", "--", ".", env=index_env)
        tree_sha = self.run("write-tree", "write-tree", env=index_env)
        parents = ["-p", parent] if parent else []
        message_file = self.git_dir / "publish-message"
        message_file.write_text(message, encoding="utf-8")
        env = {**index_env, **identity.env()}
        return self.run(
            "commit", "commit-tree", tree_sha, *parents, "-F", str(message_file), env=env
        )

    def push(self, url: str, sha: str, branch: str) -> None:
        """Push `sha` to `branch` without force (PushRejectedError if it moved on)."""
        self.run("push", "push", "--no-verify", "--", url, f"{sha}:refs/heads/{branch}")

    def fetch_ref(self, url: str, ref: str | None) -> str:
        """The commit `ref` (a branch, tag, full ref or SHA; None: the remote's HEAD) names
        on the remote, fetched without its history."""
        self.run("fetch", "fetch", "--no-tags", "--depth=1", "--", url, ref or "HEAD")
        return self.run("rev-parse", "rev-parse", "--verify", "FETCH_HEAD^{commit}")

    def checkout(self, sha: str, dest: Path) -> None:
        """The files of commit `sha` written into `dest` (symlinks as symlinks)."""
        index_env = {"GIT_INDEX_FILE": str(self.git_dir / "checkout-index")}
        dest.mkdir(parents=True, exist_ok=True)
        self.run("read-tree", "read-tree", sha, env=index_env)
        work = ["--work-tree", str(dest)]
        self.run("checkout", *work, "checkout-index", "--all", "--force", env=index_env)
