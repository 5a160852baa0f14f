"""Which snippets a repository gets: pure functions of the library and the choice made.

A snippet joins when its newest version (or the version the input pins) applies: same
provider, one of its languages and runtimes (empty: any), and a tier at least its `minTier`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from actionpool.actions.builtin.goldenpath.library import SnippetLibrary
from actionpool.actions.builtin.goldenpath.snippet import STAGES, Snippet, tier_rank


@dataclasses.dataclass(frozen=True)
class Selection:
    """What a repository is: its CI provider, language, runtime and compliance tier."""

    provider: str
    language: str
    runtime: str
    tier: str


def applies(snippet: Snippet, selection: Selection) -> bool:
    """Whether this version of a snippet belongs in the selection's pipeline."""
    scope = snippet.applies_to
    return (
        snippet.provider == selection.provider
        and (not scope.languages or selection.language in scope.languages)
        and (not scope.runtimes or selection.runtime in scope.runtimes)
        and tier_rank(selection.tier) >= tier_rank(scope.min_tier)
    )


def pin_problems(
    library: SnippetLibrary, selection: Selection, pins: Mapping[str, str]
) -> list[str]:
    """Why pinned versions cannot be used (empty: every pin names a version that applies)."""
    problems = []
    for snippet_id, version in sorted(pins.items()):
        snippet = library.get(snippet_id, version)
        if snippet_id not in library.snippets:
            problems.append(f"no snippet {snippet_id!r} in the library")
        elif snippet is None:
            known = ", ".join(library.versions(snippet_id))
            problems.append(f"{snippet_id} has no version {version} (it has {known})")
        elif not applies(snippet, selection):
            problems.append(
                f"{snippet.ref} does not apply to {selection.provider}, {selection.language} "
                f"{selection.runtime}, tier {selection.tier}"
            )
    return problems


def select_snippets(
    library: SnippetLibrary, selection: Selection, pins: Mapping[str, str] | None = None
) -> list[Snippet]:
    """The snippets of the selection's pipeline, in stage order (then by id); ValueError
    when a pin cannot be used."""
    pins = pins or {}
    problems = pin_problems(library, selection, pins)
    if problems:
        raise ValueError("; ".join(problems))
    chosen = []
    for snippet_id in library.snippets:
        pinned = pins.get(snippet_id)
        snippet = library.get(snippet_id, pinned) if pinned else library.latest(snippet_id)
        if snippet is not None and applies(snippet, selection):
            chosen.append(snippet)
    return sorted(chosen, key=lambda s: (STAGES.index(s.stage), s.id))
