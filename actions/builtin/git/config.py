"""`GitConfig`: which remotes `git:publish` may reach, where its skeletons live, its limits.

Set through the environment, as JSON or one field at a time:

    ACTIONPOOL_GIT__ALLOWED_HOSTS='["github.com", "git.example.com"]'
    ACTIONPOOL_GIT__FILE_ROOTS='["/srv/git"]'
    ACTIONPOOL_GIT='{"allowed_schemes": ["https"], "template_library_dir": "/srv/skeletons"}'
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_SCHEMES = ("https", "ssh")
DEFAULT_HOSTS = ("github.com", "gitlab.com", "bitbucket.org")


class GitConfig(BaseModel):
    """What the operator configures for `git:publish` (and the actions built on it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    allowed_schemes: tuple[str, ...] = Field(
        default=DEFAULT_SCHEMES,
        description=(
            "URL schemes a remote may use (https, ssh, http; scp-style user@host:path counts "
            "as ssh). file:// is governed by file_roots, never by this list"
        ),
    )
    allowed_hosts: tuple[str, ...] = Field(
        default=DEFAULT_HOSTS,
        description=(
            "Hosts a remote may name: an entry matches the host exactly (case-insensitive, any "
            "port); an entry '*.example.com' matches every subdomain of example.com, not "
            "example.com itself"
        ),
    )
    file_roots: tuple[Path, ...] = Field(
        default=(),
        description=(
            "Directories under which file:// URLs and local paths are allowed (resolved, "
            "symlinks followed); empty: every local remote is refused"
        ),
    )
    template_library_dir: Path | None = Field(
        default=None,
        description="The folder of skeletons an input may name with `skeleton` (None: none)",
    )
    https_username: str = Field(
        default="x-access-token",
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9._@+-]+$",
        description="The user name sent with a token over HTTPS (GitHub: x-access-token)",
    )
    ssh_known_hosts_file: Path | None = Field(
        default=None,
        description="known_hosts file ssh checks host keys against (None: ssh's own files)",
    )
    network_attempts: int = Field(
        default=4, ge=1, le=20, description="Tries of each git network operation (tenacity)"
    )
    retry_initial_delay_s: float = Field(
        default=0.5, ge=0, le=60, description="First wait between tries of a network operation"
    )
    retry_max_delay_s: float = Field(
        default=8.0, ge=0, le=600, description="Longest wait between tries of a network operation"
    )
    network_timeout_s: float = Field(
        default=120.0, gt=0, le=3_600, description="Longest one git fetch, clone or push may take"
    )
    history_depth: int = Field(
        default=50,
        ge=1,
        le=10_000,
        description="Commits of the target branch searched for a run's own commit",
    )
    max_skeleton_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1, description="Largest total size of a skeleton's files"
    )
    max_files: int = Field(default=2_000, ge=1, description="Most files a skeleton may hold")
    max_rendered_file_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1, description="Largest file a template may render to"
    )
    max_values_bytes: int = Field(
        default=64 * 1024, ge=2, description="Largest `values` object, as compact JSON"
    )
