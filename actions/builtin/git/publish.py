"""`git:publish`: render a skeleton with values, commit it onto a remote branch, push once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, JsonValue, ValidationInfo, field_validator, model_validator

from actionpool.actions.action import Action, Attributes, Example, RetryPolicy, action
from actionpool.actions.builtin.git.commit import (
    DEFAULT_AUTHOR_EMAIL,
    DEFAULT_AUTHOR_NAME,
    DEFAULT_SSH_KEY_SECRET,
    DEFAULT_TOKEN_SECRET,
    AuthorEmail,
    AuthorName,
    CommitMessage,
    SshKeySecret,
    TokenSecret,
)
from actionpool.actions.builtin.git.config import GitConfig
from actionpool.actions.builtin.git.credentials import credential_env
from actionpool.actions.builtin.git.publishing import (
    PublishTarget,
    already_published,
    log,
    network,
    publish_tree,
)
from actionpool.actions.builtin.git.repository import Repository
from actionpool.actions.builtin.git.safety import (
    BranchName,
    RefName,
    RelativePath,
    RemoteUrl,
    git_config,
    relative_path_problem,
    values_problem,
)
from actionpool.actions.builtin.git.skeleton import (
    SkeletonError,
    folder_within,
    render_skeleton,
    skeleton_problem,
)
from actionpool.actions.context import ActionContext
from actionpool.actions.model import ActionModel

EXAMPLE = """{
  "input": {
    "skeleton": "python-service",
    "values": {"name": "billing", "owner": "team-a"},
    "remoteUrl": "https://github.com/acme/billing.git",
    "branch": "main",
    "commitMessage": "Create billing from the python-service skeleton",
    "authorName": "Backstage",
    "authorEmail": "backstage@acme.example"
  }
}"""
EXAMPLE_FROM_GIT = """{
  "input": {
    "skeletonUrl": "https://github.com/acme/skeletons.git",
    "skeletonRef": "v3",
    "values": {"name": "ledger", "owner": "team-b"},
    "remoteUrl": "https://github.com/acme/ledger.git"
  },
  "secrets": {"gitToken": "<a token that may read the skeleton and push>"}
}"""


class PublishInput(ActionModel):
    skeleton: str | None = Field(
        default=None,
        max_length=255,
        description="A skeleton of the operator's template library, by folder name",
    )
    skeleton_url: RemoteUrl | None = Field(
        default=None, description="Or: a git repository holding the skeleton"
    )
    skeleton_ref: RefName | None = Field(
        default=None, description="Branch, tag or commit of skeletonUrl (default: its HEAD)"
    )
    skeleton_path: RelativePath | None = Field(
        default=None, description="Folder of the skeleton inside skeletonUrl (default: all)"
    )
    values: dict[str, JsonValue] = Field(
        default_factory=dict, description="Values the skeleton's files and paths are rendered with"
    )
    remote_url: RemoteUrl = Field(description="The repository to push to (HTTPS or SSH)")
    branch: BranchName = Field(default="main", description="The branch to commit onto")
    commit_message: CommitMessage = Field(
        default="Publish from actionpool",
        description="The commit's message (the run's Actionpool-Run trailer is added)",
    )
    author_name: AuthorName = DEFAULT_AUTHOR_NAME
    author_email: AuthorEmail = DEFAULT_AUTHOR_EMAIL
    token_secret: TokenSecret = DEFAULT_TOKEN_SECRET
    ssh_key_secret: SshKeySecret = DEFAULT_SSH_KEY_SECRET

    @field_validator("values")
    @classmethod
    def _json_values(cls, value: dict[str, JsonValue], info: ValidationInfo) -> dict[str, Any]:
        problem = values_problem(value, git_config(info).max_values_bytes)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("skeleton")
    @classmethod
    def _library_skeleton(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            library_folder(value, git_config(info))
        return value

    @model_validator(mode="after")
    def _one_skeleton(self, info: ValidationInfo) -> PublishInput:
        if (self.skeleton is None) == (self.skeleton_url is None):
            raise ValueError("give either skeleton (a library folder) or skeletonUrl")
        if self.skeleton_url is None and (self.skeleton_ref or self.skeleton_path):
            raise ValueError("skeletonRef and skeletonPath go with skeletonUrl")
        if self.skeleton is not None:
            config = git_config(info)
            problem = skeleton_problem(library_folder(self.skeleton, config), self.values, config)
            if problem:
                raise ValueError(f"skeleton {self.skeleton!r}: {problem}")
        return self


class PublishOutput(ActionModel):
    remote_url: str = Field(description="The repository pushed to")
    branch: str = Field(description="The branch the commit is on")
    commit_sha: str = Field(description="The commit this run published")


def library_folder(name: str, config: GitConfig) -> Path:
    """The folder of a library skeleton; ValueError for a name that leaves the library, a
    symlink out of it, or no such skeleton."""
    if config.template_library_dir is None:
        raise ValueError("no template library is configured: give skeletonUrl")
    problem = relative_path_problem(name)
    if problem:
        raise ValueError(f"skeleton name: {problem}")
    library = config.template_library_dir.resolve()
    folder = library / name
    try:
        found = folder.resolve().is_relative_to(library) and folder.is_dir()
    except OSError:  # a name too long for the file system, say
        found = False
    if not found or folder.is_symlink():
        raise ValueError(f"the template library has no skeleton {name!r}")
    return folder


def fetch_skeleton(ctx: ActionContext, input: PublishInput, config: GitConfig) -> Path:
    """The skeleton's folder: in the library, or checked out from skeletonUrl."""
    if input.skeleton is not None:
        try:
            return library_folder(input.skeleton, config)
        except ValueError as exc:
            raise SkeletonError(str(exc)) from exc
    url = input.skeleton_url or ""
    env = credential_env(
        ctx.workspace / "skeleton.credentials",
        url,
        ctx.secrets,
        token_secret=input.token_secret,
        ssh_key_secret=input.ssh_key_secret,
        config=config,
    )
    repo = Repository(ctx.workspace / "skeleton.git", env, config.network_timeout_s)
    sha = network(ctx, config, "git clone", url, lambda: repo.fetch_ref(url, input.skeleton_ref))
    checkout = ctx.workspace / "skeleton"
    repo.checkout(sha, checkout)
    log(ctx, f"skeleton {sha} from {url}")
    return folder_within(checkout, input.skeleton_path)


def publish_action(config: GitConfig) -> Action[PublishInput, PublishOutput]:
    """`git:publish`, bound to the operator's `config`."""

    @action(
        "git:publish",
        description=(
            "Renders a skeleton (a library folder or a git repository) with values, commits "
            "it onto a branch of a remote repository and pushes it, once per run."
        ),
        examples=[
            Example(description="A library skeleton onto a new repository", example=EXAMPLE),
            Example(description="A skeleton kept in git, at a tag", example=EXAMPLE_FROM_GIT),
        ],
        timeout_s=600,
        soft_timeout_s=540,
        retry=RetryPolicy(max_attempts=3, initial_delay_s=2.0, max_delay_s=30.0),
        attributes=Attributes(read_only=False, destructive=False, idempotent=True),
        validation_context={"git": config},
    )
    def publish(input: PublishInput, ctx: ActionContext) -> PublishOutput:
        target = PublishTarget.of(input, input.commit_message)
        # pushed by an earlier attempt: neither the skeleton (its ref may be gone, its token
        # rotated) nor git is needed again
        result = already_published(ctx, target)
        if result is None:
            source = fetch_skeleton(ctx, input, config)
            tree = ctx.workspace / "tree"
            files = render_skeleton(source, tree, input.values, config=config)
            log(ctx, f"rendered {len(files)} files")
            result = publish_tree(ctx, tree, target, config)
        return PublishOutput(
            remote_url=result.remote_url, branch=result.branch, commit_sha=result.commit_sha
        )

    return publish
