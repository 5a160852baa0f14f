"""Static tokens: the configuration holds only their SHA-256; a presented token is hashed
and compared with every configured hash in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from actionpool.api.identity.principal import Owners, Principal
from actionpool.api.identity.settings import StaticTokenConfig

TOKEN_PREFIX = "apt_"
"""Tokens `new_token` makes start so (secret scanners can find them); any string is accepted."""


def new_token() -> str:
    """A fresh static token: 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The SHA-256 the configuration stores (tokens are random: no salt or stretching needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


class StaticTokens:
    def __init__(self, configs: list[StaticTokenConfig]) -> None:
        self.configs = configs

    def verify(self, token: str) -> Principal | None:
        """The token's principal, or None when no configured hash matches. Every hash is
        compared (no early exit), so timing says nothing about which one was near."""
        presented = hash_token(token)
        found: StaticTokenConfig | None = None
        for config in self.configs:
            if hmac.compare_digest(presented, config.sha256):
                found = config
        if found is None:
            return None
        return Principal(
            kind="static",
            subject=found.subject,
            scopes=frozenset(found.scopes),
            owners=Owners.of(found.owners),
        )
