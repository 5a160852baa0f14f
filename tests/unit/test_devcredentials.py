"""`actionpool dev` works out of the box: its children get a secrets key and an admin token,
made once and kept in the data dir, readable by its owner only."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from actionpool.api.identity.settings import StaticTokenConfig
from actionpool.api.identity.statictoken import StaticTokens
from actionpool.devcredentials import (
    SECRETS_KEY_FILE,
    TOKEN_FILE,
    dev_secrets_key,
    dev_token,
    with_dev_credentials,
)
from actionpool.worker.store.sealing import Sealer


def test_the_dev_key_is_made_once_owner_only_and_kept(tmp_path: Path) -> None:
    # When the dev stack asks for its key twice
    first = dev_secrets_key(tmp_path / "data")
    second = dev_secrets_key(tmp_path / "data")
    # Then it is one usable key, in a file only its owner may read
    assert first == second
    assert Sealer([first]).unseal(Sealer([second]).seal({"t": "v"})) == {"t": "v"}
    mode = (tmp_path / "data" / SECRETS_KEY_FILE).stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_the_children_get_the_dev_key_unless_a_key_is_set(tmp_path: Path) -> None:
    env = with_dev_credentials({"PATH": "/bin"}, tmp_path)
    assert json.loads(env["ACTIONPOOL_SECRETS_KEYS"]) == [dev_secrets_key(tmp_path)]
    own = {"ACTIONPOOL_SECRETS_KEYS": '["mine"]', "ACTIONPOOL_STATIC_TOKENS": "[]"}
    assert with_dev_credentials(own, tmp_path) == own


def test_the_children_accept_the_printed_dev_token_as_an_admin(tmp_path: Path) -> None:
    # When the dev stack starts without credentials of its own
    env = with_dev_credentials({"PATH": "/bin"}, tmp_path)
    # Then its children accept the kept token, as an admin, and only its hash is in their env
    token = dev_token(tmp_path)
    configs = [
        StaticTokenConfig.model_validate(c) for c in json.loads(env["ACTIONPOOL_STATIC_TOKENS"])
    ]
    principal = StaticTokens(configs).verify(token)
    assert principal is not None and principal.is_admin
    assert token not in json.dumps(env)
    assert stat.S_IMODE((tmp_path / TOKEN_FILE).stat().st_mode) == 0o600
