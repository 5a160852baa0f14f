"""`SkeletonLibrary`: the skeletons a golden path renders a new repository from.

<root>/<name>/skeleton.yaml      description, languages
<root>/<name>/files/             the files, rendered by git's sandboxed Jinja2
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

from pydantic import Field

from actionpool.actions.builtin.goldenpath.library import LibraryError, read_yaml
from actionpool.actions.builtin.goldenpath.snippet import NAME, LibraryModel

SKELETON_FILE = "skeleton.yaml"
FILES_DIR = "files"
SKELETON_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


class SkeletonInfo(LibraryModel):
    description: str = Field(min_length=1, max_length=500, description="What it starts")
    languages: tuple[Annotated[str, Field(pattern=NAME)], ...] = Field(
        min_length=1, description="The languages it is written in (one, usually)"
    )


@dataclasses.dataclass(frozen=True)
class Skeleton:
    name: str
    description: str
    languages: tuple[str, ...]
    files_dir: Path


@dataclasses.dataclass(frozen=True)
class SkeletonLibrary:
    root: Path
    skeletons: Mapping[str, Skeleton]


def load_skeleton_library(root: Path, *, max_file_bytes: int) -> SkeletonLibrary:
    """Read every skeleton's description; LibraryError for the first problem found."""
    if not root.is_dir():
        raise LibraryError(f"skeleton library {root} is not a folder")
    skeletons = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if SKELETON_NAME.fullmatch(folder.name) is None:
            raise LibraryError(f"{folder}: a skeleton's name must match {SKELETON_NAME.pattern}")
        info = read_yaml(folder / SKELETON_FILE, SkeletonInfo, max_bytes=max_file_bytes)
        if not (folder / FILES_DIR).is_dir():
            raise LibraryError(f"{folder}: a skeleton keeps its files in {FILES_DIR}/")
        skeletons[folder.name] = Skeleton(
            folder.name, info.description, info.languages, folder / FILES_DIR
        )
    if not skeletons:
        raise LibraryError(f"skeleton library {root} holds no skeleton")
    return SkeletonLibrary(root=root, skeletons=skeletons)
