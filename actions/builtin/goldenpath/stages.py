"""The stages of `golden-path:create-repository` before its push, each behind a checkpoint.

A workspace lives for one attempt, so every attempt writes the files again: rendering and
composing are pure, and each stage's checkpoint records what the first attempt made (file
list, chosen snippet versions, digests). A later attempt builds from that record and must
arrive at the same bytes; if a skeleton or a snippet version was edited in between it stops
(`StageDriftError`) rather than push something other than what the run decided.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from actionpool.actions.builtin.git.config import GitConfig
from actionpool.actions.builtin.git.publishing import log
from actionpool.actions.builtin.git.skeleton import render_skeleton
from actionpool.actions.builtin.goldenpath.catalog import Catalog
from actionpool.actions.builtin.goldenpath.inputs import CreateRepositoryInput
from actionpool.actions.builtin.goldenpath.library import SnippetLibrary
from actionpool.actions.builtin.goldenpath.pipeline import (
    PIPELINE_PATHS,
    CompositionError,
    Pipeline,
    compose,
)
from actionpool.actions.builtin.goldenpath.readme import README_PATH, policy_section, with_section
from actionpool.actions.builtin.goldenpath.selection import select_snippets
from actionpool.actions.builtin.goldenpath.snippet import Snippet
from actionpool.actions.context import ActionContext
from actionpool.actions.errors import NonRetryableActionError

RENDER_KEY = "golden-path.render.v1"
PIPELINE_KEY = "golden-path.pipeline.v1"
README_KEY = "golden-path.readme.v1"
PUBLISH_PREFIX = "golden-path.publish"
"""publish_tree's checkpoints: `golden-path.publish.stamp.v1`, `.commit.v1`, `.push.v1`."""


class StageDriftError(NonRetryableActionError):
    """Raised when an attempt's files differ from what an earlier attempt of the run recorded
    (a skeleton or a snippet version was edited meanwhile): start a new run."""


def digest(tree: Path, files: Sequence[str]) -> str:
    """sha256 over the files' relative paths and contents."""
    hasher = hashlib.sha256()
    for relative in sorted(files):
        hasher.update(relative.encode() + b"\0" + (tree / relative).read_bytes() + b"\0")
    return hasher.hexdigest()


def _same(key: str, stored: dict[str, Any], fresh: dict[str, Any]) -> None:
    if stored != fresh:
        raise StageDriftError(
            f"{key}: this attempt made other files than an earlier attempt of the run "
            "(a skeleton or snippet version was changed meanwhile); start a new run"
        )


def render(
    ctx: ActionContext, catalog: Catalog, input: CreateRepositoryInput, tree: Path, git: GitConfig
) -> list[str]:
    """Stage 1: the skeleton rendered into `tree`; its file list."""
    skeleton = catalog.skeletons.skeletons[input.skeleton]
    files = render_skeleton(skeleton.files_dir, tree, input.values, config=git)
    fresh = {"skeleton": skeleton.name, "files": files, "sha256": digest(tree, files)}
    stored: dict[str, Any] = ctx.checkpoint(RENDER_KEY, lambda: fresh)
    _same(RENDER_KEY, stored, fresh)
    log(ctx, f"rendered skeleton {skeleton.name}: {len(files)} files")
    return files


def _snippets_of(library: SnippetLibrary, refs: Sequence[dict[str, str]]) -> list[Snippet]:
    found = [library.get(ref["id"], ref["version"]) for ref in refs]
    missing = [f"{r['id']}@{r['version']}" for r, s in zip(refs, found, strict=True) if s is None]
    if missing:
        raise StageDriftError(f"the snippet library no longer has {', '.join(missing)}")
    return [s for s in found if s is not None]


def _composed(
    input: CreateRepositoryInput, snippets: Sequence[Snippet], max_bytes: int
) -> Pipeline:
    pipeline = compose(snippets, input.ci_provider, values=input.placeholders, branch=input.branch)
    size = len(pipeline.text().encode())
    if size > max_bytes:
        raise CompositionError(f"the pipeline is {size} bytes, more than {max_bytes}")
    return pipeline


def _pipeline_record(pipeline: Pipeline, snippets: Sequence[Snippet]) -> dict[str, Any]:
    return {
        "path": pipeline.path,
        "snippets": [{"id": s.id, "version": s.version} for s in snippets],
        "sha256": hashlib.sha256(pipeline.text().encode()).hexdigest(),
    }


def write_pipeline(
    ctx: ActionContext, catalog: Catalog, input: CreateRepositoryInput, tree: Path, max_bytes: int
) -> list[Snippet]:
    """Stage 2: the pipeline composed from the snippets chosen on the run's first attempt
    (newest versions, or the pinned ones), written into `tree`; those snippets."""

    def choose() -> dict[str, Any]:
        chosen = select_snippets(catalog.snippets, input.selection, input.snippet_versions)
        return _pipeline_record(_composed(input, chosen, max_bytes), chosen)

    stored: dict[str, Any] = ctx.checkpoint(PIPELINE_KEY, choose)
    snippets = _snippets_of(catalog.snippets, stored["snippets"])
    pipeline = _composed(input, snippets, max_bytes)
    _same(PIPELINE_KEY, stored, _pipeline_record(pipeline, snippets))
    target = tree / pipeline.path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(pipeline.text(), encoding="utf-8")
    log(ctx, f"wrote {pipeline.path} from {len(snippets)} snippets: {' '.join(pipeline.refs)}")
    return snippets


def write_readme(
    ctx: ActionContext, input: CreateRepositoryInput, tree: Path, snippets: Sequence[Snippet]
) -> list[Snippet]:
    """Stage 3: the README's policy section (which checks run and why); the policy snippets."""
    policies = [s for s in snippets if s.is_policy]
    path = PIPELINE_PATHS[input.ci_provider]
    section = policy_section(snippets, tier=input.compliance_tier, pipeline_path=path)
    readme = tree / README_PATH
    current = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    readme.write_text(with_section(current, section), encoding="utf-8")
    fresh = {"policies": [s.ref for s in policies], "sha256": digest(tree, [README_PATH])}
    stored: dict[str, Any] = ctx.checkpoint(README_KEY, lambda: fresh)
    _same(README_KEY, stored, fresh)
    for snippet in policies:
        log(ctx, f"policy {snippet.ref} ({snippet.stage}): {snippet.title}")
    return policies
