"""Bare repositories on disk, and reading what a test's pushes left in them."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path


def git(*args: str, cwd: Path | None = None) -> str:
    """Run git (not the code under test: the test's own look at a repository)."""
    done = subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=_env()
    )
    return done.stdout.strip()


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }


def bare_repository(path: Path) -> Path:
    """An empty bare repository that accepts pushes over smart HTTP too."""
    git("init", "--quiet", "--bare", "--initial-branch=main", str(path))
    git("--git-dir", str(path), "config", "http.receivepack", "true")
    return path


def commit_files(repo: Path, branch: str, files: dict[str, str], message: str) -> str:
    """Push a commit with `files` onto `branch` of the bare `repo` (someone else's work)."""
    work = repo.parent / f"{repo.name}.work-{uuid.uuid4().hex[:6]}"
    git("clone", "--quiet", str(repo), str(work))
    if git("ls-remote", "--heads", str(repo), branch):
        git("checkout", "--quiet", "-B", branch, f"origin/{branch}", cwd=work)
    else:
        git("checkout", "--quiet", "--orphan", branch, cwd=work)
    for name, text in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    git("add", "--all", cwd=work)
    git("commit", "--quiet", "--allow-empty", "-m", message, cwd=work)
    git("push", "--quiet", "origin", f"HEAD:refs/heads/{branch}", cwd=work)
    return git("rev-parse", "HEAD", cwd=work)


def log(repo: Path, branch: str = "main") -> list[str]:
    """The SHAs on `branch`, newest first ([] when there is no such branch)."""
    if not git("--git-dir", str(repo), "for-each-ref", f"refs/heads/{branch}"):
        return []
    return git("--git-dir", str(repo), "rev-list", branch).splitlines()


def message(repo: Path, sha: str) -> str:
    return git("--git-dir", str(repo), "log", "-1", "--format=%B", sha)


def files(repo: Path, sha: str) -> dict[str, bytes]:
    """Every file of commit `sha`, by path."""
    names = git("--git-dir", str(repo), "ls-tree", "-r", "--name-only", sha).splitlines()
    return {
        name: subprocess.run(
            ["git", "--git-dir", str(repo), "show", f"{sha}:{name}"],
            check=True,
            capture_output=True,
        ).stdout
        for name in names
    }


def runs_of(repo: Path, run_id: str, branch: str = "main") -> list[str]:
    """The commits on `branch` whose Actionpool-Run trailer names `run_id`."""
    return [sha for sha in log(repo, branch) if f"Actionpool-Run: {run_id}" in message(repo, sha)]
