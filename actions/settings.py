"""Settings of the actions a pool serves (`ACTIONPOOL_` environment variables).

Each built-in family keeps its own section, set as JSON or one field at a time with `__`:

    ACTIONPOOL_GIT__ALLOWED_HOSTS='["github.com", "git.example.com"]'
    ACTIONPOOL_HTTP='{"allowed_hosts": ["api.example.com"]}'

Built at the entry points (API, worker, CLI) and passed to `build_registry`.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from actionpool.actions.builtin.git.config import GitConfig
from actionpool.actions.builtin.goldenpath.config import GoldenPathConfig
from actionpool.actions.builtin.http.config import HttpConfig


class ActionSettings(BaseSettings):
    """What the built-in actions may reach, and operator overrides of any action."""

    model_config = SettingsConfigDict(
        env_prefix="ACTIONPOOL_", env_nested_delimiter="__", extra="ignore"
    )

    action_overrides: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Per-action overrides, e.g. {'debug:sleep': {'timeout_s': 60}}",
    )
    git: GitConfig = Field(
        default_factory=GitConfig,
        description="git:publish and golden-path:create-repository: remotes, skeletons",
    )
    http: HttpConfig = Field(
        default_factory=HttpConfig, description="http:request: hosts it may call, size caps"
    )
    golden_path: GoldenPathConfig = Field(
        default_factory=GoldenPathConfig,
        description="golden-path:create-repository: the skeleton and snippet libraries",
    )
