"""Rendering skeletons: values into contents and paths, binaries untouched, the sandbox
refusing what only shows at render time (values feeding a blow-up)."""

from __future__ import annotations

from pathlib import Path

import pytest

from actionpool.actions.builtin.git.config import GitConfig
from actionpool.actions.builtin.git.skeleton import (
    SkeletonError,
    is_binary,
    render_skeleton,
)
from actionpool.actions.errors import NonRetryableActionError


def write(folder: Path, files: dict[str, str | bytes]) -> Path:
    for relative, content in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return folder


def test_contents_and_paths_are_rendered_and_binaries_copied(tmp_path: Path) -> None:
    # Given a skeleton with templated paths and contents, an executable, and two binaries
    png = b"\x89PNG\r\n\x1a\n\x00{{ name }}"
    latin1 = "caf\xe9 {{ name }}".encode("latin-1")
    source = write(
        tmp_path / "skel",
        {
            "README.md": "# {{ name | upper }}\n{% for t in tags %}- {{ t }}\n{% endfor %}",
            "src/{{ name }}/__init__.py": "NAME = '{{ name }}'\n",
            "{% if ci %}.github{% endif %}/ci.yml": "on: push\n",
            "logo.png": png,
            "legacy.txt": latin1,
            "run.sh": "#!/bin/sh\necho {{ name }}\n",
        },
    )
    (source / "run.sh").chmod(0o755)
    # When it is rendered without CI
    dest = tmp_path / "out"
    written = render_skeleton(source, dest, {"name": "svc", "tags": ["a", "b"], "ci": False})
    # Then paths and contents carry the values, the CI file is left out, binaries are as they were
    assert written == ["README.md", "legacy.txt", "logo.png", "run.sh", "src/svc/__init__.py"]
    assert (dest / "README.md").read_text() == "# SVC\n- a\n- b\n"
    assert (dest / "src/svc/__init__.py").read_text() == "NAME = 'svc'\n"
    assert (dest / "logo.png").read_bytes() == png
    assert (dest / "legacy.txt").read_bytes() == latin1
    assert (dest / "run.sh").stat().st_mode & 0o111


def test_binary_detection_by_nul_or_invalid_utf8() -> None:
    assert is_binary(b"a\x00b") and is_binary(b"\xff\xfe") and not is_binary("é".encode())


@pytest.mark.parametrize(
    ("files", "values"),
    [
        ({"a.txt": "{% for i in range(n) %}x{% endfor %}"}, {"n": 10**9}),
        ({"a.txt": "{{ 'x' * n }}"}, {"n": 10**10}),
        ({"a.txt": "{{ n ** n }}"}, {"n": 1000}),
        ({"a.txt": "{{ fmt % 1 }}"}, {"fmt": "%0999999999d"}),
        ({"a.txt": "{{ 'x' | center(n) }}"}, {"n": 10**9}),
        ({"a.txt": "{{ s.ljust(n) }}"}, {"s": "x", "n": 10**9}),
        ({"a.txt": "{% for i in range(9999) %}{{ s }}{% endfor %}"}, {"s": "y" * 1000}),
        ({"a.txt": "{{ missing }}"}, {}),
        ({"a.txt": "{{ items.append(1) }}"}, {"items": []}),
        ({"{{ d }}/x": "x"}, {"d": "../.."}),
        ({"{{ d }}/x": "x"}, {"d": "/etc"}),
        ({"{{ d }}/hooks/pre-commit": "x"}, {"d": ".git"}),
        ({"{{ a }}": "1", "{{ b }}": "2"}, {"a": "same", "b": "same"}),
    ],
)
def test_what_only_shows_at_render_time_fails_the_render_permanently(
    tmp_path: Path, files: dict[str, str | bytes], values: dict[str, object]
) -> None:
    # Given a skeleton whose sources pass the up-front scan only without values
    source = write(tmp_path / "skel", files)
    config = GitConfig(max_rendered_file_bytes=1_000_000)
    # When it is rendered with values that make it hostile
    with pytest.raises(SkeletonError) as failed:
        render_skeleton(source, tmp_path / "out", values, config=config)
    # Then the render fails with a permanent error
    assert isinstance(failed.value, NonRetryableActionError)


def test_symlinks_and_oversized_skeletons_are_refused(tmp_path: Path) -> None:
    # Given a skeleton holding a symlink, and one over the file cap
    linked = write(tmp_path / "linked", {"a.txt": "a"})
    (linked / "b.txt").symlink_to("/etc/passwd")
    many = write(tmp_path / "many", {f"f{i}.txt": "x" for i in range(4)})
    # Then both are refused before anything is written
    with pytest.raises(SkeletonError, match="symlink"):
        render_skeleton(linked, tmp_path / "out1", {})
    with pytest.raises(SkeletonError, match="more than 3 files"):
        render_skeleton(many, tmp_path / "out2", {}, config=GitConfig(max_files=3))
    assert not (tmp_path / "out1" / "a.txt").exists()
