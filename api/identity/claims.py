"""The claim sets of Backstage's tokens, as typed values (read only after the signature
checked out), and the errors that say why a credential was refused."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from actionpool.actions.errors import AuthenticationError

PLUGIN_TOKEN_TYPE = "vnd.backstage.plugin"
USER_TOKEN_TYPE = "vnd.backstage.limited-user"
USER_REF_PATTERN = r"^user:[^/\s]+/[^\s]+$"


class PluginClaims(BaseModel):
    """A plugin token's payload: the calling plugin (`sub`), for the pool (`aud`), and the
    user it acts for (`obo`, a limited user token) when a user started the work."""

    model_config = ConfigDict(extra="ignore")

    sub: str = Field(min_length=1, max_length=128)
    aud: str | list[str]
    exp: int
    iat: int
    obo: str | None = Field(default=None, max_length=16 * 1024)


class UserClaims(BaseModel):
    """A limited user token's payload: the user's entity ref."""

    model_config = ConfigDict(extra="ignore")

    sub: str = Field(pattern=USER_REF_PATTERN, max_length=512)
    exp: int


class CredentialRejectedError(AuthenticationError):
    """Raised when a credential is missing or not valid; `reason` is the audit trail's word
    for why (`missing`, `unknown-token`, `expired`, `bad-signature`, …)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    @property
    def name(self) -> str:
        return "AuthenticationError"  # Backstage's name for a 401
