"""What `golden-path:create-repository` takes and gives back.

Every check against the libraries runs while the input is validated (a 422 before anything
runs): the language and runtime are offered, the skeleton exists for that language, pinned
snippet versions exist and apply, the skeleton renders with the values, the pipeline composes.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from actionpool.actions.builtin.git.commit import (
    DEFAULT_AUTHOR_EMAIL,
    DEFAULT_AUTHOR_NAME,
    DEFAULT_SSH_KEY_SECRET,
    DEFAULT_TOKEN_SECRET,
    NO_CONTROL,
    AuthorEmail,
    AuthorName,
    CommitMessage,
    SshKeySecret,
    TokenSecret,
)
from actionpool.actions.builtin.git.safety import BranchName, RemoteUrl, git_config
from actionpool.actions.builtin.git.skeleton import skeleton_problem
from actionpool.actions.builtin.goldenpath.catalog import Catalog, catalog_of, golden_path_config
from actionpool.actions.builtin.goldenpath.pipeline import CompositionError, compose
from actionpool.actions.builtin.goldenpath.selection import Selection, pin_problems, select_snippets
from actionpool.actions.builtin.goldenpath.snippet import NAME, SNIPPET_ID, Provider, Tier
from actionpool.actions.builtin.goldenpath.version import SEMVER
from actionpool.actions.model import ActionModel

REPOSITORY_NAME = r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$"
"""A Backstage entity name (it is the catalog-info.yaml's `metadata.name` too)."""
MAX_PINS = 64


def _catalog(info: ValidationInfo) -> Catalog:
    return catalog_of(golden_path_config(info))


class CreateRepositoryInput(ActionModel):
    name: str = Field(
        pattern=REPOSITORY_NAME, description="The new component's name (letters, digits, -_.)"
    )
    owner: str = Field(
        min_length=1,
        max_length=200,
        pattern=NO_CONTROL.pattern,
        description="Who owns it, as the skeleton's catalog-info.yaml names it (group:team-a)",
    )
    description: str = Field(
        default="",
        max_length=500,
        pattern=NO_CONTROL.pattern,
        description="One line on what it is, for the skeleton's README and catalog entry",
    )
    language: str = Field(
        pattern=NAME, description="Its language, one the snippet library offers (python, node, go)"
    )
    runtime: str = Field(
        pattern=NAME, description="The language's version, as the library offers it (3.12, 20)"
    )
    skeleton: str = Field(
        max_length=80, description="A skeleton of the skeleton library, for that language"
    )
    compliance_tier: Tier = Field(
        default="standard",
        description="basic (1), standard (2: policy checks, SBOM, dependency scan) or "
        "regulated (3: and SBOM vulnerability and licence policies)",
    )
    ci_provider: Provider = Field(
        default="github-actions", description="The CI the pipeline is written for"
    )
    snippet_versions: dict[
        Annotated[str, Field(pattern=SNIPPET_ID)], Annotated[str, Field(pattern=SEMVER.pattern)]
    ] = Field(
        default_factory=dict,
        max_length=MAX_PINS,
        description="Optional pins, snippet id -> version (default: each snippet's newest)",
        # pydantic states the key pattern as patternProperties only; other keys are refused
        json_schema_extra={"additionalProperties": False},
    )
    remote_url: RemoteUrl = Field(description="The new (empty) repository to push to")
    branch: BranchName = Field(default="main", description="The branch to commit onto")
    commit_message: CommitMessage | None = Field(
        default=None, description="The commit's message (default: names the skeleton and tier)"
    )
    author_name: AuthorName = DEFAULT_AUTHOR_NAME
    author_email: AuthorEmail = DEFAULT_AUTHOR_EMAIL
    token_secret: TokenSecret = DEFAULT_TOKEN_SECRET
    ssh_key_secret: SshKeySecret = DEFAULT_SSH_KEY_SECRET

    @field_validator("language")
    @classmethod
    def _offered_language(cls, value: str, info: ValidationInfo) -> str:
        offered = _catalog(info).snippets.runtimes
        if value not in offered:
            raise ValueError(f"language {value!r} is not offered (offered: {', '.join(offered)})")
        return value

    @field_validator("runtime")
    @classmethod
    def _offered_runtime(cls, value: str, info: ValidationInfo) -> str:
        language = info.data.get("language")
        runtimes = _catalog(info).snippets.runtimes.get(language or "", ())
        if language is not None and value not in runtimes:
            raise ValueError(f"{language} {value} is not offered (offered: {', '.join(runtimes)})")
        return value

    @field_validator("skeleton")
    @classmethod
    def _known_skeleton(cls, value: str, info: ValidationInfo) -> str:
        skeletons = _catalog(info).skeletons.skeletons
        skeleton = skeletons.get(value)
        if skeleton is None:
            raise ValueError(f"no skeleton {value!r} (there are: {', '.join(skeletons)})")
        language = info.data.get("language")
        if language is not None and language not in skeleton.languages:
            raise ValueError(f"skeleton {value!r} is for {', '.join(skeleton.languages)}")
        return value

    @model_validator(mode="after")
    def _buildable(self, info: ValidationInfo) -> CreateRepositoryInput:
        catalog = _catalog(info)
        problems = pin_problems(catalog.snippets, self.selection, self.snippet_versions)
        if problems:
            raise ValueError(f"snippetVersions: {'; '.join(problems)}")
        skeleton = catalog.skeletons.skeletons[self.skeleton]
        problem = skeleton_problem(skeleton.files_dir, self.values, git_config(info))
        if problem:
            raise ValueError(f"skeleton {self.skeleton!r}: {problem}")
        snippets = select_snippets(catalog.snippets, self.selection, self.snippet_versions)
        try:
            compose(snippets, self.ci_provider, values=self.placeholders, branch=self.branch)
        except CompositionError as exc:
            raise ValueError(f"no pipeline can be composed: {exc}") from exc
        return self

    @property
    def selection(self) -> Selection:
        return Selection(self.ci_provider, self.language, self.runtime, self.compliance_tier)

    @property
    def values(self) -> dict[str, Any]:
        """What the skeleton's templates are rendered with."""
        return {
            "name": self.name,
            "owner": self.owner,
            "description": self.description,
            "language": self.language,
            "runtime": self.runtime,
            "tier": self.compliance_tier,
            "skeleton": self.skeleton,
        }

    @property
    def placeholders(self) -> dict[str, str]:
        """What `@{...}` in the snippets' fragments is filled with."""
        return {"name": self.name, "language": self.language, "runtime": self.runtime}


class SnippetRef(ActionModel):
    id: str = Field(description="The snippet's id")
    version: str = Field(description="The version the pipeline was built from")


class PolicyDecision(ActionModel):
    id: str = Field(description="The policy, SBOM or scanning snippet")
    version: str = Field(description="Its version")
    stage: str = Field(description="policy, sbom or scan")
    title: str = Field(description="What it checks")
    rationale: str = Field(description="Why it runs, as the snippet states it")


class CreateRepositoryOutput(ActionModel):
    remote_url: str = Field(description="The repository pushed to")
    branch: str = Field(description="The branch the commit is on")
    commit_sha: str | None = Field(description="The commit this run published (dry run: none)")
    pipeline_path: str = Field(description="Where the CI pipeline was written in the repository")
    snippets: list[SnippetRef] = Field(description="Every snippet the pipeline was built from")
    policies: list[PolicyDecision] = Field(
        description="The policy, SBOM and scanning steps it runs, with why"
    )
