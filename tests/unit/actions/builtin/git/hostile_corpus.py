"""Hostile `git:publish` inputs (data): each must be refused by the input model, so that the
API answers 422 before anything runs. `{canary}` stands for a file that exists only if an
input was executed (a command git or a template would have run)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

REMOTE = "https://github.com/acme/service.git"
SKELETON_REPO = "https://github.com/acme/skeletons.git"
BASE: dict[str, Any] = {"skeleton": "hello", "values": {"name": "svc"}, "remoteUrl": REMOTE}

HELLO = {"README.md": "# {{ name }}\n", "{{ name }}/main.py": "print('{{ name }}')\n"}
HOSTILE_SKELETONS: dict[str, dict[str, str]] = {
    "class-walk": {"a.txt": "{{ ''.__class__.__mro__[1].__subclasses__() }}"},
    "cycler-globals": {
        "a.txt": "{{ cycler.__init__.__globals__.os.popen('touch {canary}').read() }}"
    },
    "template-reference": {"a.txt": "{{ self._TemplateReference__context }}"},
    "lipsum-globals": {"a.txt": "{{ lipsum.__globals__['os'].popen('touch {canary}') }}"},
    "getitem-dunder": {"a.txt": "{{ ''['__class__'] }}"},
    "str-format": {"a.txt": "{{ '{0.__class__}'.format('') }}"},
    "range-blowup": {"a.txt": "{% for i in range(10**9) %}x{% endfor %}"},
    "repeat-blowup": {"a.txt": "{{ 'x' * 10000000000 }}"},
    "power-blowup": {"a.txt": "{{ 10 ** (10 ** 9) }}"},
    "format-width": {"a.txt": "{{ '%999999999s'|format('x') }}"},
    "include": {"a.txt": "{% include '/etc/passwd' %}"},
    "path-escape": {"{{ '..' }}/escape.txt": "out"},
    "absolute-path": {"{{ '/tmp' }}/x.txt": "out"},
    "dotgit-path": {"{{ '.git' }}/hooks/post-commit": "#!/bin/sh\ntouch {canary}\n"},
    "syntax-error": {"a.txt": "{% for %}"},
    "nested-too-deep": {"a.txt": "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}"},
}
"""Skeletons of the test library that no template author should get past review."""


@dataclasses.dataclass(frozen=True)
class Hostile:
    id: str
    changes: dict[str, Any]
    """Merged into BASE (a key set to None is removed)."""
    field: str
    """The input field (camelCase) the error names; "" for the model as a whole."""

    def input(self, canary: Path) -> dict[str, Any]:
        merged = {k: v for k, v in {**BASE, **self.changes}.items() if v is not None}
        filled: dict[str, Any] = _fill(merged, str(canary))
        return filled


def _fill(value: Any, canary: str) -> Any:
    if isinstance(value, str):
        return value.replace("{canary}", canary)
    if isinstance(value, dict):
        return {k: _fill(v, canary) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, canary) for v in value]
    return value


def _url(id: str, url: str) -> Hostile:
    return Hostile(id, {"remoteUrl": url}, "remoteUrl")


def _branch(id: str, branch: str) -> Hostile:
    return Hostile(id, {"branch": branch}, "branch")


def _from_repo(id: str, field: str, **changes: Any) -> Hostile:
    return Hostile(id, {"skeleton": None, "skeletonUrl": SKELETON_REPO, **changes}, field)


CORPUS: list[Hostile] = [
    _url("ext-transport", "ext::sh -c touch% {canary}"),
    _url("ext-transport-no-space", "ext::sh"),
    _url("fd-transport", "fd::17"),
    _url("other-transport", "testgit::/tmp/x"),
    _url("option-as-url", "--upload-pack=touch {canary}"),
    _url("short-option-as-url", "-uhttps://github.com/a/b"),
    _url("option-after-space", "https://github.com/a/b --upload-pack=touch"),
    _url("option-in-url", "https://github.com/a/b?--upload-pack=touch"),
    _url("ssh-host-option", "ssh://-oProxyCommand=touch%20{canary}/x"),
    _url("scp-host-option", "git@-oProxyCommand=touch:repo"),
    _url("ssh-path-option", "ssh://github.com/-oProxyCommand=x"),
    _url("http-not-allowed", "http://github.com/a/b.git"),
    _url("ftp-not-allowed", "ftp://github.com/a/b.git"),
    _url("host-not-allowed", "https://evil.example.com/a/b.git"),
    _url("host-suffix-trick", "https://github.com.evil.example/a/b.git"),
    _url("host-userinfo-trick", "https://github.com@evil.example/a/b.git"),
    _url("token-in-url", "https://x-access-token:ghp_secret@github.com/a/b.git"),
    _url("file-url-without-roots", "file:///etc"),
    _url("local-path", "/etc/passwd"),
    _url("relative-local-path", "../../repo"),
    _url("no-repository-path", "https://github.com/"),
    _url("newline", "https://github.com/a/b\ntouch"),
    _url("fragment", "https://github.com/a/b#x"),
    _url("bad-port", "https://github.com:99999/a/b"),
    _branch("branch-option", "--upload-pack=touch {canary}"),
    _branch("branch-dotdot", "main..evil"),
    _branch("branch-reflog", "feature@{1}"),
    _branch("branch-space", "a b"),
    _branch("branch-lock", "x.lock"),
    _branch("branch-full-ref", "refs/heads/main"),
    _branch("branch-trailing-slash", "trailing/"),
    _branch("branch-hidden-part", "x/.hidden"),
    _branch("branch-control", "ma\x07in"),
    _from_repo("skeleton-ref-option", "skeletonRef", skeletonRef="--upload-pack=touch {canary}"),
    _from_repo("skeleton-ref-caret", "skeletonRef", skeletonRef="HEAD^{tree}"),
    _from_repo("skeleton-url-ext", "skeletonUrl", skeletonUrl="ext::sh -c touch% {canary}"),
    _from_repo("skeleton-path-escape", "skeletonPath", skeletonPath="../../.."),
    _from_repo("skeleton-path-dotgit", "skeletonPath", skeletonPath=".git/hooks"),
    Hostile("skeleton-name-escape", {"skeleton": "../x"}, "skeleton"),
    Hostile("skeleton-name-absolute", {"skeleton": "/etc"}, "skeleton"),
    Hostile("skeleton-name-nested-escape", {"skeleton": "hello/../../x"}, "skeleton"),
    Hostile("skeleton-symlink", {"skeleton": "symlink"}, ""),
    Hostile("two-skeletons", {"skeletonUrl": SKELETON_REPO}, ""),
    Hostile("no-skeleton", {"skeleton": None}, ""),
    Hostile("value-dunder-key", {"values": {"__class__": 1}}, "values"),
    Hostile(
        "value-too-large", {"values": {"name": "x", "a": "x" * 40_000, "b": "y" * 40_000}}, "values"
    ),
    Hostile(
        "value-too-deep", {"values": {"name": [[[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]]}}, "values"
    ),
    Hostile("value-not-json", {"values": {"name": float("nan")}}, "values"),
    Hostile("value-escapes-path", {"values": {"name": "../../etc"}}, ""),
    Hostile("value-into-dotgit", {"values": {"name": ".git"}}, ""),
    Hostile("author-newline", {"authorName": "a\nb"}, "authorName"),
    Hostile("email-brackets", {"authorEmail": "a@b>\n<c@d"}, "authorEmail"),
    Hostile("secret-name-path", {"tokenSecret": "../gitToken"}, "tokenSecret"),
    Hostile("skeleton-name-too-long", {"skeleton": "é" * 200}, "skeleton"),
    *(Hostile(f"template-{name}", {"skeleton": name}, "") for name in HOSTILE_SKELETONS),
]


def make_library(folder: Path, canary: Path) -> Path:
    """The template library the corpus is checked against: `hello` (fine), the hostile
    skeletons, and `symlink` (holding a symlink out of the library)."""
    for name, files in {"hello": HELLO, **HOSTILE_SKELETONS}.items():
        for relative, text in files.items():
            path = folder / name / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text.replace("{canary}", str(canary)))
    (folder / "symlink").mkdir(parents=True, exist_ok=True)
    link = folder / "symlink" / "passwd"
    if not link.is_symlink():
        os.symlink("/etc/passwd", link)
    return folder
