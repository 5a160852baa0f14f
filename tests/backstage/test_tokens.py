"""The pool refuses what a real Backstage did not sign: a plugin token made with a key
Backstage does not publish (even with the id of a key it does publish), and no token at all,
on every endpoint the four routes call. The proxy refuses callers without a Backstage token."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tests.backstage.backend import GUEST, TEAM, Backstage, report
from tests.backstage.conftest import PoolUnderTest
from tests.identity import KeyPair, bearer

pytestmark = pytest.mark.backstage

# What each route calls on the pool: the HTTP API (proxy, direct and module routes) and the
# actions-registry protocol (distributed actions).
ENDPOINTS = [
    ("POST", "/v1/actions/debug:log/runs", {"input": {"message": "forged"}}),
    ("GET", "/.backstage/actions/v1/actions", None),
    ("POST", "/.backstage/actions/v1/actions/actionpool:debug.log/invoke", {"message": "forged"}),
]


def forged_token(kid: str | None) -> str:
    """A plugin token shaped exactly like Backstage's (ES256, typ, kid, sub scaffolder, aud
    actionpool, obo a user token), signed with a key made here."""
    key = KeyPair(kid)
    now = int(time.time())
    user = KeyPair().sign(
        {"sub": GUEST, "iat": now, "exp": now + 3600}, "vnd.backstage.limited-user"
    )
    claims = {"sub": "scaffolder", "aud": "actionpool", "iat": now, "exp": now + 3600}
    return key.sign({**claims, "obo": user}, "vnd.backstage.plugin")


def published_kids(backstage: Backstage) -> list[str]:
    keys = backstage.http.get("/api/scaffolder/.backstage/auth/v1/jwks.json").json()["keys"]
    return [key["kid"] for key in keys]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("method,path,body", ENDPOINTS, ids=[e[1] for e in ENDPOINTS])
def test_forged_and_missing_tokens_are_refused(
    backstage: Backstage, pool: PoolUnderTest, method: str, path: str, body: object
) -> None:
    # Given the scaffolder has published its keys (it signs a token on the direct route)
    task_id = backstage.create_task("actionpool-direct", {"owner": TEAM, "seconds": 0})
    backstage.wait_for_end(task_id)
    kids = published_kids(backstage)
    assert kids
    runs_before = len(pool.run_ids())
    attempts = {
        "forged, with a kid Backstage publishes": bearer(forged_token(kids[0])),
        "forged, with a kid of its own": bearer(forged_token(uuid.uuid4().hex)),
        "no token": {},
    }
    for what, headers in attempts.items():
        # When the pool is called with it
        with httpx.Client(base_url=pool.url, timeout=30) as anonymous:
            response = anonymous.request(method, path, json=body, headers=headers)
        # Then it is refused as unauthenticated, with Backstage's error body
        assert response.status_code == 401, (what, response.text)
        assert response.json()["error"]["name"] == "AuthenticationError", what
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        report(f"{method} {path}, {what}: {response.status_code} {response.json()['error']}")
    # And nothing ran
    assert len(pool.run_ids()) == runs_before


@pytest.mark.timeout(60)
def test_the_proxy_route_refuses_callers_without_a_backstage_token(
    backstage: Backstage, pool: PoolUnderTest
) -> None:
    # Given the proxy endpoint that adds the pool's static token
    path = "/api/proxy/actionpool/v1/actions/debug:log/runs"
    runs_before = len(pool.run_ids())
    body = {"input": {"message": "through the proxy"}}
    # When it is called without a Backstage token, and with a forged one
    for what, headers in {"no token": {}, "forged": bearer(forged_token(None))}.items():
        response = backstage.http.post(path, json=body, headers=headers)
        # Then Backstage refuses it, and the pool never sees it
        report(f"proxy, {what}: {response.status_code} {response.text[:200]}")
        assert response.status_code == 401, (what, response.text)
    assert len(pool.run_ids()) == runs_before
