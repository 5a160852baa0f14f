"""`Sealer`: a run's secrets at rest, sealed into one Fernet token (AES-128-CBC with an
HMAC-SHA256, `cryptography`) under the pool's keys, `ACTIONPOOL_SECRETS_KEYS`.

The first key seals; every key unseals. A key is rotated by putting the new one first and
keeping the old one until no run sealed under it can still execute (docs/security.md#secrets).
A process refuses to build its store without a usable key (`SecretsKeyError`), so the API and
the workers never write or expect plaintext secrets.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Mapping, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

from actionpool.actions.errors import SecretsKeyError, SecretsUnreadableError
from actionpool.worker.settings import PoolSettings

MAKE_KEY = (
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)
"""The command that prints a new key."""


class Sealer:
    """Seals a secrets map into a token and unseals it, under one or more keys."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise SecretsKeyError(
                "no key to encrypt run secrets with: set ACTIONPOOL_SECRETS_KEYS to a JSON list "
                f"of Fernet keys, e.g. '[\"<key>\"]', with a key printed by {MAKE_KEY} "
                "(docs/security.md#secrets)"
            )
        try:
            fernets = [Fernet(key) for key in keys]
        except (ValueError, binascii.Error):
            raise SecretsKeyError(
                f"ACTIONPOOL_SECRETS_KEYS holds something that is not a Fernet key (32 url-safe "
                f"base64-encoded bytes); make one with {MAKE_KEY}"
            ) from None  # the key itself stays out of the message and its traceback
        self._fernet = MultiFernet(fernets)

    @classmethod
    def from_settings(cls, settings: PoolSettings) -> Sealer:
        return cls(reveal(settings.secrets_keys))

    def seal(self, secrets: Mapping[str, str]) -> str:
        """One token for the whole map, sealed with the first key."""
        return self._fernet.encrypt(json.dumps(dict(secrets)).encode()).decode()

    def unseal(self, token: str) -> dict[str, str]:
        """The map a token was sealed from, with whichever key opens it."""
        try:
            plain = self._fernet.decrypt(token)
        except InvalidToken:
            raise SecretsUnreadableError(
                "the run's secrets cannot be decrypted with any key of ACTIONPOOL_SECRETS_KEYS: "
                "the key they were encrypted with was removed while the run could still run "
                "(keep an old key until every run that held secrets under it has ended: "
                "docs/security.md#secrets)"
            ) from None
        secrets: dict[str, str] = json.loads(plain)
        return secrets


def reveal(keys: Sequence[SecretStr]) -> list[str]:
    return [key.get_secret_value().strip() for key in keys]
