"""Skeletons: folders of templates rendered with `values` into a tree to commit.

File contents and relative paths are Jinja2 templates rendered in `SkeletonEnvironment`;
binary files (a NUL byte, or not UTF-8) are copied untouched; a path that renders with an
empty part (`{% if ci %}.github{% endif %}/ci.yml` without `ci`) is left out. Symlinks,
special files, paths out of the folder or into `.git`, and the size caps refuse a skeleton.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import TemplateError

from actionpool.actions.builtin.git.config import GitConfig
from actionpool.actions.builtin.git.safety import DRIVE_LETTER, relative_path_problem
from actionpool.actions.builtin.git.sandbox import SkeletonEnvironment, template_problem
from actionpool.actions.errors import NonRetryableActionError


class SkeletonError(NonRetryableActionError):
    """Raised when a skeleton cannot be rendered: a hostile or broken template, a path that
    leaves the folder, a symlink, a missing value, a cap exceeded. Retrying cannot help."""


@dataclasses.dataclass(frozen=True)
class SkeletonFile:
    relative: str
    """Its path inside the skeleton, '/'-separated (itself a template)."""
    path: Path
    executable: bool


def is_binary(data: bytes) -> bool:
    """Copied as is, never rendered: a NUL byte, or not UTF-8."""
    if b"\0" in data:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def folder_within(root: Path, relative: str | None) -> Path:
    """`root / relative`, refusing a path through a symlink (a skeleton repository's `x -> /`
    would otherwise render the worker's own files) or out of `root`."""
    folder = root
    for part in Path(relative or ".").parts:
        folder = folder / part
        if folder.is_symlink():
            raise SkeletonError(f"the skeleton path goes through a symlink: {relative}")
    if not folder.resolve().is_relative_to(root.resolve()):
        raise SkeletonError(f"the skeleton path leaves the skeleton's repository: {relative}")
    return folder


def list_skeleton(source: Path, config: GitConfig) -> list[SkeletonFile]:
    """The regular files of a skeleton folder, sorted; SkeletonError for a symlink, a special
    file, a bad name, or more files or bytes than the caps allow."""
    if source.is_symlink() or not source.is_dir():
        raise SkeletonError("the skeleton is not a folder")
    found: list[SkeletonFile] = []
    total_bytes = 0
    for folder, dirs, files in os.walk(source, followlinks=False):
        for name in sorted([*dirs, *files]):
            path = Path(folder) / name
            relative = path.relative_to(source).as_posix()
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                raise SkeletonError(f"the skeleton holds a symlink: {relative}")
            if stat.S_ISDIR(info.st_mode):
                continue
            if not stat.S_ISREG(info.st_mode):
                raise SkeletonError(f"the skeleton holds a special file: {relative}")
            problem = relative_path_problem(relative)
            if problem:
                raise SkeletonError(f"{relative!r}: {problem}")
            total_bytes += info.st_size
            found.append(SkeletonFile(relative, path, bool(info.st_mode & stat.S_IXUSR)))
        if len(found) > config.max_files or total_bytes > config.max_skeleton_bytes:
            raise SkeletonError(
                f"the skeleton holds more than {config.max_files} files or "
                f"{config.max_skeleton_bytes} bytes"
            )
    return sorted(found, key=lambda f: f.relative)


def render_text(environment: SkeletonEnvironment, text: str, values: Mapping[str, Any]) -> str:
    """One template rendered, its output capped at `environment.max_bytes` as it streams."""
    problem = template_problem(text, environment)
    if problem:
        raise SkeletonError(problem)
    chunks: list[str] = []
    size = 0
    try:
        for chunk in environment.from_string(text).generate(dict(values)):
            size += len(chunk)
            if size > environment.max_bytes:
                raise SkeletonError(f"a template rendered more than {environment.max_bytes} bytes")
            chunks.append(chunk)
    except RecursionError as exc:
        raise SkeletonError("the template is nested too deeply") from exc
    except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as exc:
        raise SkeletonError(f"the template failed: {type(exc).__name__}: {exc}") from exc
    return "".join(chunks)


def render_path(
    environment: SkeletonEnvironment, relative: str, values: Mapping[str, Any]
) -> str | None:
    """The path a skeleton file is written to, or None when a part of it renders empty
    (each part renders on its own; a value may add parts, never an absolute start)."""
    parts = [render_text(environment, part, values) for part in relative.split("/")]
    if "" in parts:
        return None
    rendered = "/".join(parts)
    if rendered.startswith(("/", "\\")) or DRIVE_LETTER.match(rendered):
        raise SkeletonError(f"{relative!r} renders to the absolute path {rendered[:200]!r}")
    problem = relative_path_problem(rendered)
    if problem:
        raise SkeletonError(f"{relative!r} renders to {rendered[:200]!r}: {problem}")
    return rendered


def skeleton_problem(source: Path, values: Mapping[str, Any], config: GitConfig) -> str | None:
    """What rendering the skeleton with `values` would refuse, found without writing
    anything (the input model's up-front check): the listing, every template's source, and
    every rendered path."""
    environment = SkeletonEnvironment(config.max_rendered_file_bytes)
    try:
        for file in list_skeleton(source, config):
            render_path(environment, file.relative, values)
            data = file.path.read_bytes()
            if not is_binary(data):
                problem = template_problem(data.decode("utf-8"), environment)
                if problem:
                    return f"{file.relative}: {problem}"
    except SkeletonError as exc:
        return str(exc)
    return None


def _write(dest: Path, relative: str, data: bytes, executable: bool) -> None:
    target = dest / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.parent.resolve().is_relative_to(dest.resolve()):
        raise SkeletonError(f"{relative!r} leaves the destination folder")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    try:
        fd = os.open(target, flags, 0o755 if executable else 0o644)
    except FileExistsError:
        raise SkeletonError(f"two skeleton files render to {relative!r}") from None
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def render_skeleton(
    source: Path, dest: Path, values: Mapping[str, Any], *, config: GitConfig | None = None
) -> list[str]:
    """Render the skeleton folder `source` into `dest` (created if missing); the rendered
    relative paths, sorted. SkeletonError (NonRetryableActionError) on a hostile template."""
    config = config or GitConfig()
    environment = SkeletonEnvironment(config.max_rendered_file_bytes)
    dest.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    for file in list_skeleton(source, config):
        relative = render_path(environment, file.relative, values)
        if relative is None:
            continue
        data = file.path.read_bytes()
        if not is_binary(data):
            data = render_text(environment, data.decode("utf-8"), values).encode("utf-8")
        _write(dest, relative, data, file.executable)
        written.append(relative)
    return sorted(written)
