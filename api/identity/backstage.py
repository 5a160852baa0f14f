"""`BackstageTokens`: verifies Backstage plugin tokens (and the user token inside them)
against the JWKS of the configured Backstage.

A plugin token is an ES256 JWT with header `typ: vnd.backstage.plugin` and a `kid`; its
`sub` is the calling plugin, whose keys are at `{backstage}/api/{sub}/.backstage/auth/v1/
jwks.json`; `aud` must be the pool's plugin id. Its `obo` claim, when present, is a limited
user token (`typ: vnd.backstage.limited-user`) signed with the auth plugin's keys at
`{backstage}/api/auth/.well-known/jwks.json`. Only plugins named in the configuration are
looked up, so a token naming any other `sub` never makes the pool fetch anything.
"""

from __future__ import annotations

from typing import Any, TypeVar

import jwt
from pydantic import ValidationError

from actionpool.api.identity.claims import (
    PLUGIN_TOKEN_TYPE,
    USER_TOKEN_TYPE,
    CredentialRejectedError,
    PluginClaims,
    UserClaims,
)
from actionpool.api.identity.jwks import JwksCache
from actionpool.api.identity.principal import Owners, Principal
from actionpool.api.identity.settings import Grant, IdentitySettings

Claims = TypeVar("Claims", PluginClaims, UserClaims)


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


class BackstageTokens:
    def __init__(self, settings: IdentitySettings, jwks: JwksCache) -> None:
        assert settings.backstage_url is not None
        self.base_url = settings.backstage_url.rstrip("/")
        self.audience = settings.plugin_id
        self.plugins = settings.backstage_plugins
        self.user_owners = {user.lower(): groups for user, groups in settings.user_owners.items()}
        self.algorithms = list(settings.jwt_algorithms)
        self.leeway_s = settings.jwt_leeway_s
        self.jwks = jwks

    def plugin_jwks_url(self, plugin_id: str) -> str:
        return f"{self.base_url}/api/{plugin_id}/.backstage/auth/v1/jwks.json"

    @property
    def user_jwks_url(self) -> str:
        return f"{self.base_url}/api/auth/.well-known/jwks.json"

    async def verify(self, token: str) -> Principal:
        header = self._header(token, PLUGIN_TOKEN_TYPE)
        plugin = _unverified_sub(token)
        grant = self.plugins.get(plugin)
        if grant is None:
            raise CredentialRejectedError(
                "plugin-not-allowed",
                f"tokens of the Backstage plugin {plugin[:64]!r} are not accepted",
            )
        payload = await self._decode(token, header, self.plugin_jwks_url(plugin), audience=True)
        claims = _typed(PluginClaims, payload)
        user_ref = None if claims.obo is None else await self._user(claims.obo)
        return self._principal(plugin, grant, user_ref)

    def _principal(self, plugin: str, grant: Grant, user_ref: str | None) -> Principal:
        owners = Owners.of(grant.owners)
        if user_ref is not None:  # the user's own authority, within the plugin's
            owners = owners & self.owners_of_user(user_ref)
        return Principal(
            kind="backstage",
            subject=f"plugin:{plugin}",
            scopes=frozenset(grant.scopes),
            owners=owners,
            user_ref=user_ref,
            plugin_owners=Owners.of(grant.owners) if user_ref else None,
        )

    def owners_of_user(self, user_ref: str) -> Owners:
        """A user acts for itself and for the groups the configuration names."""
        return Owners.of([user_ref, *self.user_owners.get(user_ref.lower(), [])])

    async def _user(self, token: str) -> str:
        header = self._header(token, USER_TOKEN_TYPE, reason="user-token-invalid")
        payload = await self._decode(token, header, self.user_jwks_url, audience=False)
        return _typed(UserClaims, payload, reason="user-token-invalid").sub

    def _header(self, token: str, typ: str, reason: str = "malformed") -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise CredentialRejectedError(reason, "the bearer token is not a JWT") from None
        if header.get("typ") != typ:
            raise CredentialRejectedError(reason, f"the token's typ is not {typ}")
        if header.get("alg") not in self.algorithms:
            raise CredentialRejectedError(reason, "the token's algorithm is not accepted")
        if not isinstance(header.get("kid"), str):
            raise CredentialRejectedError(reason, "the token names no key (kid)")
        return header

    async def _decode(
        self, token: str, header: dict[str, Any], url: str, *, audience: bool
    ) -> dict[str, Any]:
        key = await self.jwks.key(url, header["kid"])
        if key is None:
            raise CredentialRejectedError("unknown-key", "the token's key is not Backstage's")
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[header["alg"]],
                audience=self.audience if audience else None,
                leeway=self.leeway_s,
                options={"require": ["exp", "sub"], "verify_aud": audience},
            )
        except jwt.ExpiredSignatureError:
            raise CredentialRejectedError("expired", "the token has expired") from None
        except jwt.InvalidAudienceError as exc:
            raise CredentialRejectedError(
                "wrong-audience", f"the token is not for this pool ({self.audience}): {exc}"
            ) from None
        except jwt.MissingRequiredClaimError as exc:
            reason = "wrong-audience" if exc.claim == "aud" else "malformed"
            raise CredentialRejectedError(reason, f"the token lacks a claim: {exc}") from None
        except jwt.InvalidTokenError as exc:
            raise CredentialRejectedError(
                "bad-signature", f"the token is not valid: {exc}"
            ) from None
        return payload


def _unverified_sub(token: str) -> str:
    try:
        payload = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise CredentialRejectedError("malformed", "the token's payload is not JSON") from None
    sub = payload.get("sub")
    if not isinstance(sub, str) or not sub:
        raise CredentialRejectedError("malformed", "the token names no plugin (sub)")
    return sub


def _typed(model: type[Claims], payload: dict[str, Any], reason: str = "malformed") -> Claims:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise CredentialRejectedError(
            reason, f"the token's claims are not valid: {exc.errors()[0]['msg']}"
        ) from None
