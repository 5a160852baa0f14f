"""`Snippet`: one version of one CI pipeline fragment, as a library file declares it.

Parsed from YAML (`<id>/<version>.yaml`) at the edge; everything after works on these typed
values. The format is documented in docs/actions/golden-path.md.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from actionpool.actions.builtin.goldenpath.version import SEMVER

Provider = Literal["github-actions", "gitlab-ci"]
Stage = Literal["setup", "build", "test", "sbom", "scan", "policy"]
STAGES: tuple[Stage, ...] = ("setup", "build", "test", "sbom", "scan", "policy")
"""Every stage, in the order a pipeline runs them."""
POLICY_STAGES: frozenset[str] = frozenset({"sbom", "scan", "policy"})
"""Stages whose snippets are policy decisions: each states its rationale, the README says why."""
TIERS: tuple[str, ...] = ("basic", "standard", "regulated")
PLACEHOLDERS: frozenset[str] = frozenset({"name", "language", "runtime"})
"""What `@{...}` in a snippet's fragment may name: filled in when a pipeline is composed."""
PLACEHOLDER = re.compile(r"@\{([^}]*)\}")
GITLAB_KEYWORDS = frozenset(
    {"default", "include", "stages", "variables", "workflow", "image", "services", "cache"}
    | {"before_script", "after_script", "types"}
)
"""Top-level GitLab CI keys a job may not be named after."""
SNIPPET_ID = r"^[a-z0-9][a-z0-9-]{0,79}$"
JOB_NAME = r"^[A-Za-z0-9][A-Za-z0-9 _:./-]{0,99}$"
NAME = r"^[a-z0-9][a-z0-9._+-]{0,39}$"


def tier_name(value: Any) -> Any:
    """A tier given as its rank (1, 2, 3 or "1".."3") as its name; other values as they are."""
    if isinstance(value, int | str) and not isinstance(value, bool):
        rank = str(value)
        if rank in ("1", "2", "3"):
            return TIERS[int(rank) - 1]
    return value


Tier = Annotated[Literal["basic", "standard", "regulated"], BeforeValidator(tier_name)]
"""A compliance tier: basic (1) < standard (2) < regulated (3)."""


def tier_rank(tier: str) -> int:
    """1 for basic, 2 for standard, 3 for regulated."""
    return TIERS.index(tier) + 1


class LibraryModel(BaseModel):
    """A library file's part: camelCase keys, unknown keys refused, immutable."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True)


class AppliesTo(LibraryModel):
    """Which repositories get the snippet: every condition must hold."""

    languages: tuple[Annotated[str, Field(pattern=NAME)], ...] = Field(
        default=(), description="Languages it applies to (empty: every language)"
    )
    runtimes: tuple[Annotated[str, Field(pattern=NAME)], ...] = Field(
        default=(), description="Runtimes of those languages it applies to (empty: every one)"
    )
    min_tier: Tier = Field(default="basic", description="The lowest compliance tier it joins")


class GithubFragment(LibraryModel):
    """A GitHub Actions snippet: steps of its stage's job."""

    steps: tuple[dict[str, Any], ...] = Field(min_length=1, description="Workflow steps")
    stages: tuple[Stage, ...] = Field(
        default=(),
        description="setup snippets only: the stages whose jobs start with these steps "
        "(empty: every job)",
    )


class GitlabFragment(LibraryModel):
    """A GitLab CI snippet: jobs of its stage, and pipeline variables."""

    jobs: dict[Annotated[str, Field(pattern=JOB_NAME)], dict[str, Any]] = Field(
        default_factory=dict, description="Jobs by name; their `stage` is set for them"
    )
    variables: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], str] = Field(
        default_factory=dict, description="Variables every job of the pipeline sees"
    )


class Snippet(LibraryModel):
    """One version of one snippet."""

    id: str = Field(pattern=SNIPPET_ID, description="The snippet's id (its folder's name)")
    version: str = Field(pattern=SEMVER.pattern, description="MAJOR.MINOR.PATCH (its file name)")
    provider: Provider
    stage: Stage
    title: str = Field(min_length=1, max_length=200, description="What it does, in a line")
    rationale: str = Field(
        default="", max_length=2_000, description="Why it runs (required for policy stages)"
    )
    applies_to: AppliesTo = Field(default_factory=AppliesTo)
    github: GithubFragment | None = None
    gitlab: GitlabFragment | None = None

    @property
    def ref(self) -> str:
        """`id@version`, as spans and outputs name it."""
        return f"{self.id}@{self.version}"

    @property
    def is_policy(self) -> bool:
        return self.stage in POLICY_STAGES

    @model_validator(mode="after")
    def _consistent(self) -> Snippet:
        for problem in snippet_problems(self):
            raise ValueError(problem)
        return self


def snippet_problems(snippet: Snippet) -> list[str]:
    """Why a snippet's parts do not fit together (empty: they do)."""
    problems = []
    github = snippet.provider == "github-actions"
    if github != (snippet.github is not None) or github == (snippet.gitlab is not None):
        key = "github" if github else "gitlab"
        problems.append(f"a {snippet.provider} snippet has a `{key}` fragment and no other")
    if snippet.is_policy and not snippet.rationale.strip():
        problems.append(f"a {snippet.stage} snippet must state its `rationale`")
    if snippet.github and snippet.github.stages and snippet.stage != "setup":
        problems.append("only a setup snippet names `github.stages`")
    if snippet.gitlab and (snippet.stage == "setup") == bool(snippet.gitlab.jobs):
        problems.append("a gitlab setup snippet has `variables` only; other stages have `jobs`")
    clashing = sorted(GITLAB_KEYWORDS & set(snippet.gitlab.jobs if snippet.gitlab else ()))
    if clashing:
        problems.append(f"gitlab job names {clashing} are GitLab CI keywords")
    unknown = sorted(set(placeholders_in(fragment_of(snippet))) - PLACEHOLDERS)
    if unknown:
        problems.append(f"unknown placeholder(s) {unknown}: known are {sorted(PLACEHOLDERS)}")
    return problems


def fragment_of(snippet: Snippet) -> dict[str, Any]:
    """The provider fragment as plain data."""
    fragment = snippet.github or snippet.gitlab
    return {} if fragment is None else fragment.model_dump(by_alias=True)


def placeholders_in(value: Any) -> list[str]:
    """Every `@{name}` in the strings of `value`, nested lists and dicts included."""
    if isinstance(value, str):
        return PLACEHOLDER.findall(value)
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in placeholders_in(k) + placeholders_in(v)]
    if isinstance(value, list | tuple):
        return [name for item in value for name in placeholders_in(item)]
    return []
