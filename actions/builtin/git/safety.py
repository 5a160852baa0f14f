"""What a git remote, a ref and a path in a skeleton may be: pure checks, and the pydantic
types (`RemoteUrl`, `BranchName`, `RefName`) input models use to refuse the rest with a 422.

Each `*_problem` function returns why a value is refused (None: it is fine); the `check_*`
functions raise `ValueError` with that reason, which pydantic turns into a validation error.
"""

from __future__ import annotations

import json
import re
from pathlib import Path, PurePosixPath
from typing import Annotated, Any
from urllib.parse import SplitResult, unquote, urlsplit

from pydantic import AfterValidator, Field, ValidationInfo

from actionpool.actions.builtin.git.config import GitConfig

MAX_URL_LENGTH = 2_048
MAX_REF_LENGTH = 255
MAX_PATH_LENGTH = 4_096
MAX_PATH_PART_LENGTH = 255
MAX_VALUES_DEPTH = 16
VALUE_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,127}$")

CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
TRANSPORT_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9+.-]*::")
"""git's `<transport>::<address>` remote helpers (`ext::sh -c ...`, `fd::3`)."""
OPTION_LIKE = re.compile(r"--(?:upload-pack|receive-pack|exec|config|template|origin)|-c\b", re.I)
SCHEME_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
SCP_LIKE = re.compile(r"^(?:(?P<user>[^@/:]+)@)?(?P<host>[^@/:]+):(?P<path>.*)$")
HOSTNAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$")
REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")
DRIVE_LETTER = re.compile(r"^[A-Za-z]:")


def git_config(info: ValidationInfo | None) -> GitConfig:
    """The operator's GitConfig from pydantic's validation context (`{"git": config}`), or
    the secure defaults when validation runs without one."""
    context = info.context if info is not None and isinstance(info.context, dict) else {}
    config = context.get("git")
    return config if isinstance(config, GitConfig) else GitConfig()


def host_allowed(host: str, allowed_hosts: tuple[str, ...]) -> bool:
    """Exact (case-insensitive) match, or `*.example.com` for any subdomain of example.com."""
    host = host.lower()
    for entry in (e.lower() for e in allowed_hosts):
        if entry.startswith("*."):
            if host.endswith(entry[1:]) and len(host) > len(entry) - 1:
                return True
        elif host == entry:
            return True
    return False


def local_path_problem(path: str, file_roots: tuple[Path, ...]) -> str | None:
    """A local repository must lie under one of the configured roots once resolved."""
    if not file_roots:
        return "local (file://) remotes are not allowed: no file_roots are configured"
    if not path.startswith("/"):
        return "a local remote must be an absolute path"
    resolved = Path(path).resolve()
    if any(resolved.is_relative_to(root.resolve()) for root in file_roots):
        return None
    return "the local path is not under an allowed file root"


def _network_problem(parts: SplitResult, scheme: str, config: GitConfig) -> str | None:
    if scheme not in config.allowed_schemes:
        return f"scheme {scheme!r} is not allowed (allowed: {', '.join(config.allowed_schemes)})"
    if parts.password is not None or (parts.username is not None and scheme != "ssh"):
        return "credentials must not be part of the URL (they come from the run's secrets)"
    if parts.query or parts.fragment:
        return "a remote URL takes no query or fragment"
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return "the port is not valid"
    return _host_and_path_problem(parts.hostname or "", parts.path, config)


def _host_and_path_problem(host: str, path: str, config: GitConfig) -> str | None:
    if not HOSTNAME.fullmatch(host):
        return "the host is not a valid host name"
    if not host_allowed(host, config.allowed_hosts):
        return f"host {host!r} is not allowed"
    if path.strip("/") == "" or path.lstrip("/").startswith("-"):
        return "the URL names no repository path, or one that begins with '-'"
    return None


def remote_url_problem(url: str, config: GitConfig) -> str | None:
    """Why git must not be pointed at `url`, or None: schemes and hosts from the allowlists,
    no `<transport>::` helpers, nothing git could read as an option, no credentials."""
    if not url or len(url) > MAX_URL_LENGTH:
        return f"a remote URL has 1 to {MAX_URL_LENGTH} characters"
    if CONTROL_OR_SPACE.search(url):
        return "a remote URL must not contain spaces or control characters"
    if url.startswith("-") or OPTION_LIKE.search(url):
        return "a remote URL must not begin with '-' or carry git options"
    if TRANSPORT_PREFIX.match(url):
        return "'<transport>::' remotes (ext::, fd::, ...) are not allowed"
    scheme_match = SCHEME_URL.match(url)
    if scheme_match:
        scheme = scheme_match.group(1).lower()
        parts = urlsplit(url)
        if scheme == "file":
            if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
                return "a file:// URL names a path on this machine only"
            return local_path_problem(unquote(parts.path), config.file_roots)
        return _network_problem(parts, scheme, config)
    scp = SCP_LIKE.match(url)
    if scp and "/" not in url.split(":", 1)[0]:
        if "ssh" not in config.allowed_schemes:
            return "scheme 'ssh' (user@host:path) is not allowed"
        return _host_and_path_problem(scp.group("host").lower(), scp.group("path"), config)
    return local_path_problem(url, config.file_roots)


def ref_name_problem(name: str) -> str | None:
    """`git check-ref-format --allow-onelevel`, in Python, plus: no leading '-'."""
    if not name or len(name) > MAX_REF_LENGTH:
        return f"a ref name has 1 to {MAX_REF_LENGTH} characters"
    if name.startswith("-"):
        return "a ref name must not begin with '-'"
    if REF_FORBIDDEN.search(name):
        return "a ref name must not contain spaces, control characters or any of ~^:?*[\\"
    if ".." in name or "@{" in name or "//" in name or name == "@":
        return "a ref name must not contain '..', '@{' or '//', nor be '@'"
    if name.startswith("/") or name.endswith(("/", ".")):
        return "a ref name must not begin with '/' nor end with '/' or '.'"
    for part in name.split("/"):
        if part.startswith(".") or part.endswith(".lock"):
            return "no part of a ref name may begin with '.' or end with '.lock'"
    return None


def branch_name_problem(name: str) -> str | None:
    """A branch the action pushes to: a valid ref name, short form (`main`, `feature/x`)."""
    problem = ref_name_problem(name)
    if problem:
        return problem
    if name == "HEAD" or name.startswith("refs/"):
        return "give the branch's short name (not HEAD, not refs/...)"
    return None


def relative_path_problem(path: str) -> str | None:
    """A path a skeleton writes (or is named by): relative, inside its folder, not into .git."""
    if not path or len(path) > MAX_PATH_LENGTH:
        return f"a path has 1 to {MAX_PATH_LENGTH} characters"
    if CONTROL.search(path):
        return "a path must not contain control characters"
    if "\\" in path or path.startswith("/") or DRIVE_LETTER.match(path):
        return "a path must be relative, with '/' separators (no drive letters, no '\\')"
    for part in PurePosixPath(path).parts:
        if part == ".." or len(part) > MAX_PATH_PART_LENGTH:
            return "a path must not contain '..' nor a part longer than 255 characters"
        if part.rstrip(". ").lower() == ".git":
            return "a path must not reach into .git"
    return None


def values_problem(values: Any, max_bytes: int, max_depth: int = MAX_VALUES_DEPTH) -> str | None:
    """`values` for templates: a JSON object of JSON values, top-level keys plain identifiers
    (no leading `_`), at most `max_bytes` as compact JSON and `max_depth` levels deep."""
    if not isinstance(values, dict):
        return "values must be a JSON object"
    for key in values:
        if not VALUE_KEY.fullmatch(key):
            return f"value name {key[:80]!r} is not a letter followed by letters, digits or _"
    if _depth(values) > max_depth:
        return f"values nest deeper than {max_depth} levels"
    try:
        size = len(json.dumps(values, separators=(",", ":"), allow_nan=False).encode())
    except ValueError:
        return "values must be plain JSON (no NaN or Infinity)"
    if size > max_bytes:
        return f"values are {size} bytes of JSON, more than {max_bytes}"
    return None


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def scrub_url(text: str) -> str:
    """`text` with the user-info of every URL in it removed (`https://u:p@h/` → `https://h/`)."""
    return re.sub(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/\s@]*@", r"\1", text)


def _raise(problem: str | None) -> None:
    if problem:
        raise ValueError(problem)


def check_remote_url(url: str, config: GitConfig) -> str:
    _raise(remote_url_problem(url, config))
    return url


def check_ref_name(name: str) -> str:
    _raise(ref_name_problem(name))
    return name


def check_branch_name(name: str) -> str:
    _raise(branch_name_problem(name))
    return name


def check_relative_path(path: str) -> str:
    _raise(relative_path_problem(path))
    return path


def _remote_url(value: str, info: ValidationInfo) -> str:
    return check_remote_url(value, git_config(info))


RemoteUrl = Annotated[str, Field(max_length=MAX_URL_LENGTH), AfterValidator(_remote_url)]
"""A remote git may be pointed at, checked against `GitConfig` in the validation context."""
BranchName = Annotated[str, Field(max_length=MAX_REF_LENGTH), AfterValidator(check_branch_name)]
"""A branch name `git check-ref-format --branch` would accept (short form)."""
RefName = Annotated[str, Field(max_length=MAX_REF_LENGTH), AfterValidator(check_ref_name)]
"""A branch, tag or full ref name, or a commit SHA."""
RelativePath = Annotated[
    str, Field(max_length=MAX_PATH_LENGTH), AfterValidator(check_relative_path)
]
"""A relative path inside a folder, never into `.git`."""
