"""`golden-path:create-repository`: a new repository from a skeleton, with a CI pipeline
composed from the versioned snippet library and a README saying which policies run and why,
pushed once per run."""

from __future__ import annotations

from actionpool.actions.action import Action, Attributes, Example, RetryPolicy, action
from actionpool.actions.builtin.git.config import GitConfig
from actionpool.actions.builtin.git.publishing import PublishTarget, publish_tree
from actionpool.actions.builtin.goldenpath.catalog import catalog_of
from actionpool.actions.builtin.goldenpath.config import GoldenPathConfig
from actionpool.actions.builtin.goldenpath.inputs import (
    CreateRepositoryInput,
    CreateRepositoryOutput,
    PolicyDecision,
    SnippetRef,
)
from actionpool.actions.builtin.goldenpath.pipeline import PIPELINE_PATHS
from actionpool.actions.builtin.goldenpath.snippet import Snippet
from actionpool.actions.builtin.goldenpath.stages import (
    PUBLISH_PREFIX,
    render,
    write_pipeline,
    write_readme,
)
from actionpool.actions.context import ActionContext
from actionpool.actions.settings import ActionSettings

SNIPPETS_ATTRIBUTE = "actionpool.golden_path.snippets"
"""The span attribute listing `id@version` of every snippet a repository was built from."""
EXAMPLE = """{
  "input": {
    "name": "billing",
    "owner": "group:default/payments",
    "description": "Bills customers",
    "skeleton": "python-service",
    "language": "python",
    "runtime": "3.12",
    "complianceTier": "regulated",
    "ciProvider": "github-actions",
    "remoteUrl": "https://github.com/acme/billing.git"
  }
}"""


def target_of(input: CreateRepositoryInput) -> PublishTarget:
    message = input.commit_message or (
        f"Create {input.name} from the {input.skeleton} golden path "
        f"({input.compliance_tier} tier, {input.ci_provider})"
    )
    return PublishTarget.of(input, message)


def annotate(ctx: ActionContext, input: CreateRepositoryInput, snippets: list[Snippet]) -> None:
    """What an operator searches traces by: the snippets, skeleton, tier and provider."""
    ctx.annotate(
        **{
            SNIPPETS_ATTRIBUTE: [s.ref for s in snippets],
            "actionpool.golden_path.policies": [s.ref for s in snippets if s.is_policy],
            "actionpool.golden_path.skeleton": input.skeleton,
            "actionpool.golden_path.tier": input.compliance_tier,
            "actionpool.golden_path.ci_provider": input.ci_provider,
            "actionpool.golden_path.runtime": f"{input.language} {input.runtime}",
        }
    )


def output_of(
    input: CreateRepositoryInput, snippets: list[Snippet], commit_sha: str | None
) -> CreateRepositoryOutput:
    return CreateRepositoryOutput(
        remote_url=input.remote_url,
        branch=input.branch,
        commit_sha=commit_sha,
        pipeline_path=PIPELINE_PATHS[input.ci_provider],
        snippets=[SnippetRef(id=s.id, version=s.version) for s in snippets],
        policies=[
            PolicyDecision(
                id=s.id, version=s.version, stage=s.stage, title=s.title, rationale=s.rationale
            )
            for s in snippets
            if s.is_policy
        ],
    )


def create_repository(
    input: CreateRepositoryInput, ctx: ActionContext, git: GitConfig, config: GoldenPathConfig
) -> CreateRepositoryOutput:
    """The four stages: render, compose the pipeline, write the README section, publish."""
    catalog = catalog_of(config)
    tree = ctx.workspace / "tree"
    render(ctx, catalog, input, tree, git)
    snippets = write_pipeline(ctx, catalog, input, tree, config.max_pipeline_bytes)
    write_readme(ctx, input, tree, snippets)
    annotate(ctx, input, snippets)  # here, outside any ctx.span: the attempt's span is current
    if ctx.dry_run:
        ctx.logger.info("dry run: nothing is pushed")
        return output_of(input, snippets, None)
    target = target_of(input)
    result = publish_tree(ctx, tree, target, git, checkpoint_prefix=PUBLISH_PREFIX)
    return output_of(input, snippets, result.commit_sha)


def create_repository_action(
    settings: ActionSettings,
) -> Action[CreateRepositoryInput, CreateRepositoryOutput]:
    """`golden-path:create-repository`, bound to the git and golden-path settings; reads and
    checks both libraries now, so a malformed one stops the pool at start (LibraryError)."""
    git, config = settings.git, settings.golden_path
    catalog_of(config)

    @action(
        "golden-path:create-repository",
        description=(
            "Creates a repository from a golden-path skeleton with a CI pipeline composed from "
            "versioned snippets for its language, runtime and compliance tier (policy checks, "
            "SBOM and dependency scans as pipeline steps), a README saying which policies run "
            "and why, and pushes it once per run. A dry run shows the decisions, pushes nothing."
        ),
        examples=[Example(description="A regulated Python service", example=EXAMPLE)],
        timeout_s=600,
        soft_timeout_s=540,
        retry=RetryPolicy(max_attempts=3, initial_delay_s=2.0, max_delay_s=30.0),
        supports_dry_run=True,
        attributes=Attributes(read_only=False, destructive=False, idempotent=True),
        validation_context={"git": git, "golden_path": config},
    )
    def create(input: CreateRepositoryInput, ctx: ActionContext) -> CreateRepositoryOutput:
        return create_repository(input, ctx, git, config)

    return create
