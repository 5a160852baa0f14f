"""`SnippetLibrary`: every version of every snippet in a folder, and the languages and runtimes
it offers, read and checked once.

    <root>/languages.yaml            languages: {python: {runtimes: ["3.12", ...]}, ...}
    <root>/<id>/<version>.yaml       one Snippet (snippet.py)

A malformed library is the operator's error: `LibraryError` names the file and what is wrong.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, TypeVar

import yaml
from pydantic import BaseModel, Field, ValidationError

from actionpool.actions.builtin.goldenpath.snippet import NAME, LibraryModel, Snippet
from actionpool.actions.builtin.goldenpath.version import SemVer, is_version
from actionpool.actions.errors import NonRetryableActionError

M = TypeVar("M", bound=BaseModel)
LANGUAGES_FILE = "languages.yaml"


class LibraryError(NonRetryableActionError):
    """Raised when a skeleton or snippet library is malformed (an operator's error)."""


class LanguageOffer(LibraryModel):
    runtimes: tuple[Annotated[str, Field(pattern=NAME)], ...] = Field(
        min_length=1, description="The runtimes (versions) of the language pipelines support"
    )


class Languages(LibraryModel):
    languages: dict[Annotated[str, Field(pattern=NAME)], LanguageOffer] = Field(min_length=1)


@dataclasses.dataclass(frozen=True)
class SnippetLibrary:
    """Snippets by id (each id's versions oldest first) and the runtimes of each language."""

    root: Path
    runtimes: Mapping[str, tuple[str, ...]]
    snippets: Mapping[str, tuple[Snippet, ...]]

    def versions(self, snippet_id: str) -> tuple[str, ...]:
        return tuple(s.version for s in self.snippets.get(snippet_id, ()))

    def get(self, snippet_id: str, version: str) -> Snippet | None:
        return next((s for s in self.snippets.get(snippet_id, ()) if s.version == version), None)

    def latest(self, snippet_id: str) -> Snippet | None:
        versions = self.snippets.get(snippet_id, ())
        return versions[-1] if versions else None


def read_yaml(path: Path, model: type[M], *, max_bytes: int) -> M:
    """One library file as `model`; LibraryError (naming the file) when it is too large, not
    YAML or not of the model's shape."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise LibraryError(f"{path}: {size} bytes, more than the {max_bytes} allowed")
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return model.model_validate(data)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LibraryError(f"{path}: cannot be read as YAML: {exc}") from exc
    except ValidationError as exc:
        raise LibraryError(f"{path}: {_problems(exc)}") from exc


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors()
    )


def load_snippet_library(root: Path, *, max_files: int, max_file_bytes: int) -> SnippetLibrary:
    """Read and check a whole snippet library; LibraryError for the first problem found."""
    if not root.is_dir():
        raise LibraryError(f"snippet library {root} is not a folder")
    languages = read_yaml(root / LANGUAGES_FILE, Languages, max_bytes=max_file_bytes)
    runtimes = {name: offer.runtimes for name, offer in languages.languages.items()}
    files = sorted(p for p in root.glob("*/*.yaml") if p.is_file())
    if len(files) > max_files:
        raise LibraryError(f"snippet library {root}: {len(files)} files, more than {max_files}")
    by_id: dict[str, list[Snippet]] = {}
    for path in files:
        snippet = _read_snippet(path, max_file_bytes)
        _check_offered(path, snippet, runtimes)
        by_id.setdefault(snippet.id, []).append(snippet)
    for snippet_id, versions in by_id.items():
        versions.sort(key=lambda s: SemVer.parse(s.version))
        _check_versions_agree(root / snippet_id, versions)
    ordered = {k: tuple(v) for k, v in sorted(by_id.items())}
    return SnippetLibrary(root=root, runtimes=runtimes, snippets=ordered)


def _read_snippet(path: Path, max_bytes: int) -> Snippet:
    if not is_version(path.stem):
        raise LibraryError(f"{path}: a snippet file is named <version>.yaml (such as 1.0.0.yaml)")
    snippet = read_yaml(path, Snippet, max_bytes=max_bytes)
    if (snippet.id, snippet.version) != (path.parent.name, path.stem):
        raise LibraryError(
            f"{path}: declares {snippet.ref}; its folder and file name say "
            f"{path.parent.name}@{path.stem}"
        )
    return snippet


def _check_offered(path: Path, snippet: Snippet, runtimes: Mapping[str, tuple[str, ...]]) -> None:
    languages = snippet.applies_to.languages or tuple(runtimes)
    unknown = [lang for lang in languages if lang not in runtimes]
    if unknown:
        raise LibraryError(f"{path}: languages {unknown} are not in {LANGUAGES_FILE}")
    offered = {r for lang in languages for r in runtimes[lang]}
    missing = [r for r in snippet.applies_to.runtimes if r not in offered]
    if missing:
        raise LibraryError(f"{path}: runtimes {missing} are not offered for {list(languages)}")


def _check_versions_agree(folder: Path, versions: list[Snippet]) -> None:
    first = versions[0]
    for other in versions[1:]:
        if (other.provider, other.stage) != (first.provider, first.stage):
            raise LibraryError(
                f"{folder}: every version of a snippet has one provider and stage "
                f"({first.ref}: {first.provider}/{first.stage}, "
                f"{other.ref}: {other.provider}/{other.stage}); give a new id instead"
            )
