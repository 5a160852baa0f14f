"""Credentials for tests: static tokens, and Backstage-shaped plugin tokens signed with key
pairs made here and served from a real JWKS endpoint on 127.0.0.1 (`BackstageKeys`)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from actionpool.api.identity.statictoken import hash_token

ADMIN_TOKEN = "apt_test-admin-token-for-the-suite"
ALL_SCOPES = ["runs:create", "runs:read", "runs:operate"]
PAYMENTS = "group:default/payments"
INFRA = "group:default/infra"


def static_token(token: str, subject: str, scopes: list[str], owners: list[str]) -> dict[str, Any]:
    return {"subject": subject, "sha256": hash_token(token), "scopes": scopes, "owners": owners}


ADMIN = static_token(ADMIN_TOKEN, "test-admin", ["admin"], ["*"])
"""The suite's admin credential: every pool a test starts accepts it."""


def tokens_json(*extra: dict[str, Any]) -> str:
    """`ACTIONPOOL_STATIC_TOKENS` holding the suite's admin and `extra`."""
    return json.dumps([ADMIN, *extra])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


ADMIN_HEADERS = bearer(ADMIN_TOKEN)


class KeyPair:
    def __init__(self, kid: str | None = None) -> None:
        self.kid = kid or uuid.uuid4().hex
        self.private = ec.generate_private_key(ec.SECP256R1())

    def jwk(self) -> dict[str, Any]:
        key: dict[str, Any] = json.loads(
            jwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key())
        )
        return {**key, "kid": self.kid, "alg": "ES256", "use": "sig"}

    def sign(self, payload: dict[str, Any], typ: str) -> str:
        headers = {"typ": typ, "kid": self.kid, "alg": "ES256"}
        return jwt.encode(payload, self.private, algorithm="ES256", headers=headers)


class BackstageKeys:
    """What a Backstage backend publishes: the scaffolder plugin's keys and the auth plugin's,
    at Backstage's paths, served by a real HTTP server; it counts the fetches."""

    def __init__(self) -> None:
        self.plugin = KeyPair()
        self.auth = KeyPair()
        self.fetches: list[str] = []
        self.down = False
        self.answer: bytes | None = None
        """When set, every key set is answered with these bytes (a broken Backstage)."""
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def key_sets(self) -> dict[str, dict[str, Any]]:
        return {
            "/api/scaffolder/.backstage/auth/v1/jwks.json": {"keys": [self.plugin.jwk()]},
            "/api/auth/.well-known/jwks.json": {"keys": [self.auth.jwk()]},
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        keys = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                keys.fetches.append(self.path)
                found = keys.key_sets().get(self.path)
                status = 503 if keys.down else 200 if found else 404
                body = keys.answer if keys.answer is not None else json.dumps(found or {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def user_token(self, user_ref: str, *, exp_s: float = 3600, key: KeyPair | None = None) -> str:
        now = int(time.time())
        payload = {"sub": user_ref, "iat": now, "exp": now + int(exp_s)}
        return (key or self.auth).sign(payload, "vnd.backstage.limited-user")

    def plugin_token(
        self,
        *,
        user: str | None = None,
        sub: str = "scaffolder",
        aud: str = "actionpool",
        exp_s: float = 3600,
        key: KeyPair | None = None,
        typ: str = "vnd.backstage.plugin",
    ) -> str:
        """A token shaped like a Backstage 1.45 plugin token: ES256, `typ`, `kid`, `sub` the
        calling plugin, `aud` the pool, `exp` an hour on, `obo` a limited user token."""
        now = int(time.time())
        payload: dict[str, Any] = {"sub": sub, "aud": aud, "iat": now, "exp": now + int(exp_s)}
        if user is not None:
            payload["obo"] = self.user_token(user)
        return (key or self.plugin).sign(payload, typ)


@contextmanager
def backstage_keys() -> Iterator[BackstageKeys]:
    keys = BackstageKeys()
    thread = threading.Thread(target=keys.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield keys
    finally:
        keys.server.shutdown()
        keys.server.server_close()
