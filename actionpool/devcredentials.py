"""`actionpool dev`'s credentials: a key for run secrets and an admin token, each made on
first use and kept in the data dir (mode 0600), so runs sealed and tokens printed before a
restart stay good after it. An environment that sets its own keeps them."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet

from actionpool.api.identity.statictoken import hash_token, new_token

SECRETS_KEYS_VARIABLE = "ACTIONPOOL_SECRETS_KEYS"
SECRETS_KEY_FILE = "secrets.key"
TOKEN_FILE = "dev-token"
IDENTITY_VARIABLES = ("ACTIONPOOL_STATIC_TOKENS", "ACTIONPOOL_BACKSTAGE_URL")


def kept(path: Path, make: Callable[[], str]) -> str:
    """The value in `path`, made by `make` and written there (owner-only) the first time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(make() + "\n")
    return path.read_text().strip()


def dev_secrets_key(data_dir: Path) -> str:
    return kept(data_dir / SECRETS_KEY_FILE, lambda: Fernet.generate_key().decode())


def dev_token(data_dir: Path) -> str:
    return kept(data_dir / TOKEN_FILE, new_token)


def with_dev_credentials(env: dict[str, str], data_dir: Path | None) -> dict[str, str]:
    """`env` with a secrets key and an admin token, its own or the data dir's (the configured
    `ACTIONPOOL_DEV_DATA_DIR` when Redis is not embedded)."""
    if data_dir is None:
        from actionpool.api.settings import ApiSettings  # the dev data dir, as configured

        data_dir = ApiSettings().dev_data_dir
    env = dict(env)
    if not env.get(SECRETS_KEYS_VARIABLE):
        print(f"run secrets encrypted with the development key in {data_dir / SECRETS_KEY_FILE}")
        env[SECRETS_KEYS_VARIABLE] = json.dumps([dev_secrets_key(data_dir)])
    if not any(env.get(name) for name in IDENTITY_VARIABLES):
        token = dev_token(data_dir)
        entry = {
            "subject": "dev",
            "sha256": hash_token(token),
            "scopes": ["admin"],
            "owners": ["*"],
        }
        env["ACTIONPOOL_STATIC_TOKENS"] = json.dumps([entry])
        print(
            f"development admin token (also in {data_dir / TOKEN_FILE}):\n  {token}\n"
            f"  curl -H 'Authorization: Bearer {token}' http://127.0.0.1:"
            f"{env.get('ACTIONPOOL_API_PORT', '8000')}/v1/actions"
        )
    return env
