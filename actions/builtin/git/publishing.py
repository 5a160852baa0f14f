"""Publishing a tree: commit its files onto a remote branch and push, once per run.

Stages, each behind a checkpoint (under `checkpoint_prefix`, `git-publish` by default):

1. `<prefix>.stamp.v1`: the commit's timestamp, chosen once, so that every attempt builds
   the very same commit (same tree, parent, identity, date, message: same SHA).
2. fetch the branch (its last `history_depth` commits); if one of them carries this run's
   `Actionpool-Run` trailer, an earlier attempt pushed it: that is the result.
3. `<prefix>.commit.v1`: the commit built on the branch's tip (or on nothing, for a branch
   or repository without commits), recorded with its parent.
4. push without force; when the branch moved on meanwhile, fetch it again and go to 2.
5. `<prefix>.push.v1`: the pushed SHA. A later attempt returns it without touching git.

Network operations are retried within the attempt (`ctx.retrying`, `network_attempts`).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from actionpool.actions.builtin.git.config import GitConfig
from actionpool.actions.builtin.git.credentials import credential_env
from actionpool.actions.builtin.git.repository import (
    TRAILER_KEY,
    GitError,
    Identity,
    PushRejectedError,
    Repository,
    TransientGitError,
)
from actionpool.actions.builtin.git.safety import scrub_url
from actionpool.actions.context import ActionContext
from actionpool.actions.errors import ActionCancelledError

T = TypeVar("T")

MAX_PUSH_ROUNDS = 3
"""Fetch-commit-push rounds tried when pushes are rejected because the branch moved on."""


class CommitFields(Protocol):
    """What an input that publishes with git has (git:publish's, a golden path's)."""

    @property
    def remote_url(self) -> str: ...
    @property
    def branch(self) -> str: ...
    @property
    def author_name(self) -> str: ...
    @property
    def author_email(self) -> str: ...
    @property
    def token_secret(self) -> str: ...
    @property
    def ssh_key_secret(self) -> str: ...


@dataclasses.dataclass(frozen=True)
class PublishTarget:
    """Where and how a tree is committed (`remote_url` and `branch` already checked)."""

    remote_url: str
    branch: str
    commit_message: str
    author_name: str
    author_email: str
    token_secret: str = "gitToken"
    """The run secret holding a token, for HTTPS remotes."""
    ssh_key_secret: str = "gitSshPrivateKey"
    """The run secret holding an SSH private key, for SSH remotes."""

    @classmethod
    def of(cls, fields: CommitFields, commit_message: str) -> PublishTarget:
        """The target an action's input names (its git/commit.py fields)."""
        return cls(
            remote_url=fields.remote_url,
            branch=fields.branch,
            commit_message=commit_message,
            author_name=fields.author_name,
            author_email=fields.author_email,
            token_secret=fields.token_secret,
            ssh_key_secret=fields.ssh_key_secret,
        )


@dataclasses.dataclass(frozen=True)
class PublishResult:
    remote_url: str
    branch: str
    commit_sha: str


def log(ctx: ActionContext, text: str) -> None:
    """Log a line with URL user-info and the run's secrets masked."""
    ctx.logger.info(ctx.redact(scrub_url(text)))


def with_trailer(message: str, run_id: str) -> str:
    """The commit message, ending with the trailer that names the run."""
    return f"{message.rstrip()}\n\n{TRAILER_KEY}: {run_id}\n"


def network(ctx: ActionContext, config: GitConfig, name: str, url: str, fn: Callable[[], T]) -> T:
    """`fn` (a git network operation) in a span, tried `network_attempts` times on
    transient failures, each failure logged."""
    attributes: dict[str, Any] = {"vcs.repository.url.full": scrub_url(url)}
    with ctx.span(name, **attributes) as span:
        for attempt in ctx.retrying(
            max_attempts=config.network_attempts,
            initial_delay_s=config.retry_initial_delay_s,
            max_delay_s=config.retry_max_delay_s,
            retry_on=(TransientGitError,),
        ):
            with attempt:
                tries = attempt.retry_state.attempt_number
                span.set_attribute("actionpool.git.tries", tries)
                try:
                    return fn()
                except TransientGitError as exc:
                    ctx.logger.warning(
                        ctx.redact(
                            f"{name} failed on try {tries} of {config.network_attempts} "
                            f"(retrying while tries and time are left): {exc}"
                        )
                    )
                    raise
    raise AssertionError("unreachable: tenacity re-raises the last failure")


def already_published(
    ctx: ActionContext, target: PublishTarget, checkpoint_prefix: str = "git-publish"
) -> PublishResult | None:
    """What an earlier attempt of this run pushed, if one did (its push checkpoint)."""
    stored = ctx.checkpoints.load(f"{checkpoint_prefix}.push.v1")
    if stored is None:
        return None
    sha: str = json.loads(stored)
    log(ctx, f"{target.remote_url} has {sha} on {target.branch} (pushed by an earlier attempt)")
    return PublishResult(remote_url=target.remote_url, branch=target.branch, commit_sha=sha)


def publish_tree(
    ctx: ActionContext,
    tree: Path,
    target: PublishTarget,
    config: GitConfig,
    *,
    checkpoint_prefix: str = "git-publish",
) -> PublishResult:
    """Commit the files of `tree` onto `target.branch` of `target.remote_url` and push,
    idempotently (a re-run after a crash anywhere pushes no second commit)."""
    sha = ctx.checkpoint(
        f"{checkpoint_prefix}.push.v1",
        lambda: _commit_and_push(ctx, tree, target, config, checkpoint_prefix),
    )
    log(ctx, f"{target.remote_url} has {sha} on {target.branch}")
    return PublishResult(remote_url=target.remote_url, branch=target.branch, commit_sha=sha)


def _commit_and_push(
    ctx: ActionContext, tree: Path, target: PublishTarget, config: GitConfig, prefix: str
) -> str:
    url, branch = target.remote_url, target.branch
    env = credential_env(
        ctx.workspace / f"{prefix}.credentials",
        url,
        ctx.secrets,
        token_secret=target.token_secret,
        ssh_key_secret=target.ssh_key_secret,
        config=config,
    )
    repo = Repository(ctx.workspace / f"{prefix}.git", env, config.network_timeout_s)
    stamp = ctx.checkpoint(f"{prefix}.stamp.v1", lambda: int(time.time()))
    identity = Identity(target.author_name, target.author_email, stamp)
    message = with_trailer(target.commit_message, ctx.run_id)
    for round_ in range(1, MAX_PUSH_ROUNDS + 1):
        if ctx.cancelled.is_set():
            raise ActionCancelledError("the run was cancelled before its push")
        log(ctx, f"fetching {branch} of {url}")
        tip = network(
            ctx,
            config,
            "git fetch",
            url,
            lambda: repo.fetch_branch(url, branch, config.history_depth),
        )
        own = repo.find_trailer(tip, ctx.run_id, config.history_depth) if tip else None
        if own:
            log(ctx, f"{url} already has this run's commit {own} on {branch}")
            return own
        sha = _commit(ctx, repo, tree, tip, message, identity, prefix)
        try:
            network(ctx, config, "git push", url, lambda: repo.push(url, sha, branch))  # noqa: B023
        except PushRejectedError as exc:
            log(ctx, f"push {round_} of {MAX_PUSH_ROUNDS} rejected, {branch} moved on: {exc}")
            continue
        log(ctx, f"pushed {sha} to {branch} of {url}")
        return sha
    raise GitError(f"{branch} of {url} kept moving: {MAX_PUSH_ROUNDS} pushes were rejected")


def _commit(
    ctx: ActionContext,
    repo: Repository,
    tree: Path,
    parent: str | None,
    message: str,
    identity: Identity,
    prefix: str,
) -> str:
    sha = repo.commit(tree, parent, message, identity)
    recorded = ctx.checkpoint(f"{prefix}.commit.v1", lambda: {"sha": sha, "parent": parent})
    if recorded["sha"] == sha:
        log(ctx, f"committed {sha} on {parent or 'no parent (a new branch)'}")
    else:
        log(ctx, f"the branch moved on since {recorded['sha']} was committed: now {sha}")
    return sha
