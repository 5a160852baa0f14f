"""Which snippets a repository was built from are outdated: pure functions of the snippet
references it records (`id@version`: its run's output `snippets`, its span attribute
`actionpool.golden_path.snippets`, its pipeline's header) and the library as it is now."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from actionpool.actions.builtin.goldenpath.library import SnippetLibrary
from actionpool.actions.builtin.goldenpath.version import SemVer


@dataclasses.dataclass(frozen=True)
class OutdatedSnippet:
    """A snippet a repository was built from, and the library's newest version of it (None:
    the library no longer has the snippet)."""

    id: str
    version: str
    latest: str | None

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"


def parse_ref(ref: str) -> tuple[str, SemVer]:
    """`"id@1.2.0"` as its id and version; ValueError for anything else."""
    snippet_id, at, version = ref.rpartition("@")
    if not at or not snippet_id:
        raise ValueError(f"{ref!r} is not a snippet reference id@MAJOR.MINOR.PATCH")
    return snippet_id, SemVer.parse(version)


def outdated_snippets(refs: Iterable[str], library: SnippetLibrary) -> list[OutdatedSnippet]:
    """The references among `refs` whose snippet has a newer version in `library`, or is gone
    from it, in the order given (each once)."""
    found: dict[str, OutdatedSnippet] = {}
    for ref in refs:
        snippet_id, version = parse_ref(ref)
        latest = library.latest(snippet_id)
        if latest is None or SemVer.parse(latest.version) > version:
            newest = None if latest is None else latest.version
            found.setdefault(ref, OutdatedSnippet(snippet_id, str(version), newest))
    return list(found.values())


def outdated_repositories(
    built_from: Mapping[str, Iterable[str]], library: SnippetLibrary
) -> dict[str, list[OutdatedSnippet]]:
    """Repositories (by URL, or any name) that were built from an outdated snippet, with
    those snippets; a repository whose snippets are all current is left out."""
    outdated = {repo: outdated_snippets(refs, library) for repo, refs in built_from.items()}
    return {repo: found for repo, found in outdated.items() if found}
