"""Settings of authentication and authorization (`ACTIONPOOL_` environment variables)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from actionpool.api.identity.principal import EVERY_OWNER, Scope

SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def check_owner_refs(owners: list[str]) -> list[str]:
    for owner in owners:
        if owner != EVERY_OWNER and ":" not in owner:
            raise ValueError(f"owner {owner!r} is not an entity ref such as group:default/x")
    return owners


class Grant(BaseModel):
    """What a credential may do: its scopes, and the owners it acts for (`*`: any)."""

    model_config = ConfigDict(extra="forbid")

    scopes: list[Scope] = Field(min_length=1)
    owners: list[str] = Field(min_length=1)

    @field_validator("owners")
    @classmethod
    def _owner_refs(cls, owners: list[str]) -> list[str]:
        return check_owner_refs(owners)


class StaticTokenConfig(Grant):
    """One static token, stored only as its SHA-256 (`actionpool token` makes one)."""

    subject: str = Field(min_length=1, max_length=128)
    sha256: str

    @field_validator("sha256")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not SHA256_HEX.fullmatch(value):
            raise ValueError("sha256 must be 64 lowercase hex digits (the token's SHA-256)")
        return value


DEFAULT_PLUGIN_GRANTS = {
    "scaffolder": Grant(
        scopes=[Scope.RUNS_CREATE, Scope.RUNS_READ, Scope.RUNS_OPERATE], owners=[EVERY_OWNER]
    )
}


class IdentitySettings(BaseModel):
    """Mixed into the API's settings; see docs/security.md."""

    auth_disabled: bool = Field(
        default=False,
        description="Serve without authentication: every caller is an admin. Only for a "
        "pool nobody else can reach; a start with no credentials configured refuses without it",
    )
    static_tokens: list[StaticTokenConfig] = Field(
        default_factory=list,
        description='Static tokens as JSON: [{"subject", "sha256", "scopes", "owners"}]',
    )
    backstage_url: str | None = Field(
        default=None,
        description="Backstage's base URL: plugin tokens are verified against its JWKS",
    )
    plugin_id: str = Field(
        default="actionpool",
        pattern=r"^[a-z0-9][a-z0-9-]{0,63}$",
        description="The pool's plugin id in Backstage: the `aud` its plugin tokens carry",
    )
    backstage_plugins: dict[str, Grant] = Field(
        default_factory=lambda: dict(DEFAULT_PLUGIN_GRANTS),
        description="Backstage plugins (token `sub`) accepted, and what each may do",
    )
    user_owners: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Groups of Backstage users (user ref -> group refs) for requests that "
        "carry no matching user entity",
    )
    metrics_open: bool = Field(
        default=False, description="Serve /metrics without a credential (else: admin scope)"
    )
    jwt_algorithms: list[str] = Field(
        default_factory=lambda: ["ES256"], description="Signature algorithms accepted"
    )
    jwt_leeway_s: float = Field(default=30.0, ge=0, le=300, description="Clock skew allowed")
    jwks_refetch_interval_s: float = Field(
        default=10.0,
        gt=0,
        description="Fewest seconds between two fetches of one JWKS (an unknown kid refetches)",
    )
    jwks_max_age_s: float = Field(
        default=3600.0, gt=0, description="A JWKS older than this is fetched again"
    )
    jwks_timeout_s: float = Field(default=5.0, gt=0, description="Timeout of a JWKS fetch")

    @field_validator("user_owners")
    @classmethod
    def _user_groups(cls, user_owners: dict[str, list[str]]) -> dict[str, list[str]]:
        for user, groups in user_owners.items():
            if not user.lower().startswith("user:"):
                raise ValueError(f"{user!r} is not a user ref such as user:default/alice")
            check_owner_refs(groups)
        return user_owners

    @property
    def has_credentials(self) -> bool:
        return bool(self.static_tokens) or self.backstage_url is not None
