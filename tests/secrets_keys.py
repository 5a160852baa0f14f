"""The secrets key of this test session: every store, API and worker the tests build seals
run secrets with it (a new one each session, as a new deployment makes its own)."""

from __future__ import annotations

import json

from cryptography.fernet import Fernet

SECRETS_KEYS = [Fernet.generate_key().decode()]
SECRETS_KEYS_ENV = json.dumps(SECRETS_KEYS)
"""`ACTIONPOOL_SECRETS_KEYS` for the pool processes the tests start."""
