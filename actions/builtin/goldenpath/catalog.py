"""`Catalog`: the skeleton and snippet libraries a config names, read once per process."""

from __future__ import annotations

import dataclasses
import functools

from pydantic import ValidationInfo

from actionpool.actions.builtin.goldenpath.config import GoldenPathConfig
from actionpool.actions.builtin.goldenpath.library import SnippetLibrary, load_snippet_library
from actionpool.actions.builtin.goldenpath.skeletons import SkeletonLibrary, load_skeleton_library


@dataclasses.dataclass(frozen=True)
class Catalog:
    skeletons: SkeletonLibrary
    snippets: SnippetLibrary


@functools.lru_cache(maxsize=16)
def catalog_of(config: GoldenPathConfig) -> Catalog:
    """Both libraries of `config`, checked (LibraryError naming the file at fault); cached:
    a change to a library is seen after a restart. A skeleton serves only the languages the
    snippet library offers (an operator may replace one library and keep the other)."""
    snippets = load_snippet_library(
        config.snippets_dir,
        max_files=config.max_snippet_files,
        max_file_bytes=config.max_snippet_file_bytes,
    )
    skeletons = load_skeleton_library(
        config.skeletons_dir, max_file_bytes=config.max_snippet_file_bytes
    )
    return Catalog(skeletons=skeletons, snippets=snippets)


def golden_path_config(info: ValidationInfo | None) -> GoldenPathConfig:
    """The operator's GoldenPathConfig from pydantic's validation context
    (`{"golden_path": config}`), or the defaults (the shipped libraries) without one."""
    context = info.context if info is not None and isinstance(info.context, dict) else {}
    config = context.get("golden_path")
    return config if isinstance(config, GoldenPathConfig) else GoldenPathConfig()
