"""`Authenticator`: the `Authorization` header of a request as a verified `Principal`.

`Bearer <token>`: a JWT goes to Backstage's keys (when a Backstage URL is configured), any
other token to the static tokens. With authentication disabled every caller is `ANONYMOUS`
(an admin); a start with no credential configured refuses unless that is said explicitly.
"""

from __future__ import annotations

import logging

import httpx

from actionpool.actions.errors import IdentityUnavailableError
from actionpool.api.identity.backstage import BackstageTokens, looks_like_jwt
from actionpool.api.identity.claims import CredentialRejectedError
from actionpool.api.identity.jwks import JwksCache, JwksUnavailableError
from actionpool.api.identity.principal import ANONYMOUS, Principal
from actionpool.api.identity.settings import IdentitySettings
from actionpool.api.identity.statictoken import StaticTokens

log = logging.getLogger(__name__)

MAX_TOKEN_LENGTH = 16 * 1024


class AuthConfigurationError(Exception):
    """The API was started without any credential and without saying authentication is off."""


class Authenticator:
    def __init__(self, settings: IdentitySettings) -> None:
        if not settings.has_credentials and not settings.auth_disabled:
            raise AuthConfigurationError(
                "no credential is configured: set ACTIONPOOL_STATIC_TOKENS (`actionpool token` "
                "makes one) and/or ACTIONPOOL_BACKSTAGE_URL; to serve without authentication, "
                "which lets anyone who can reach the pool run and read everything, set "
                "ACTIONPOOL_AUTH_DISABLED=true"
            )
        if settings.has_credentials and settings.auth_disabled:
            raise AuthConfigurationError(
                "ACTIONPOOL_AUTH_DISABLED=true would make every caller an admin, yet "
                "credentials are configured (ACTIONPOOL_STATIC_TOKENS or "
                "ACTIONPOOL_BACKSTAGE_URL): set one or the other"
            )
        self.disabled = settings.auth_disabled
        if self.disabled:
            log.warning("authentication is disabled: every caller is an admin")
        self.static = StaticTokens(settings.static_tokens)
        self.http = httpx.AsyncClient(timeout=settings.jwks_timeout_s, follow_redirects=False)
        self.backstage: BackstageTokens | None = None
        if settings.backstage_url is not None:
            jwks = JwksCache(
                self.http,
                refetch_interval_s=settings.jwks_refetch_interval_s,
                max_age_s=settings.jwks_max_age_s,
                fetch_timeout_s=settings.jwks_timeout_s,
            )
            self.backstage = BackstageTokens(settings, jwks)

    async def authenticate(self, authorization: str | None) -> Principal:
        if self.disabled:
            return ANONYMOUS
        token = bearer_token(authorization)
        if looks_like_jwt(token) and self.backstage is not None:
            try:
                return await self.backstage.verify(token)
            except JwksUnavailableError as exc:
                raise IdentityUnavailableError(
                    f"the token could not be checked: Backstage's keys are unavailable ({exc})"
                ) from exc
        principal = self.static.verify(token)
        if principal is None:
            hint = (
                "; Backstage tokens are not accepted (ACTIONPOOL_BACKSTAGE_URL is not set)"
                if looks_like_jwt(token) and self.backstage is None
                else ""
            )
            raise CredentialRejectedError("unknown-token", f"the bearer token is not known{hint}")
        return principal

    async def close(self) -> None:
        await self.http.aclose()


def bearer_token(authorization: str | None) -> str:
    if authorization is None or not authorization.strip():
        raise CredentialRejectedError(
            "missing", "this endpoint needs a credential: send Authorization: Bearer <token>"
        )
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise CredentialRejectedError(
            "malformed", "the Authorization header must be Bearer <token>"
        )
    if len(token) > MAX_TOKEN_LENGTH:
        raise CredentialRejectedError("malformed", "the bearer token is too long")
    return token
