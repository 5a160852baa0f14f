"""Identity rules beyond the endpoint matrix: Backstage keys (rotation, junk kids, an
unreachable Backstage), users and their groups, owner-scoped idempotency keys."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from actionpool.api.identity.authenticator import AuthConfigurationError, Authenticator
from actionpool.api.identity.settings import IdentitySettings
from actionpool.api.settings import ApiSettings
from actionpool.worker.settings import PoolSettings
from tests.identity import (
    ALL_SCOPES,
    INFRA,
    PAYMENTS,
    BackstageKeys,
    KeyPair,
    backstage_keys,
    bearer,
    static_token,
)
from tests.integration.api.conftest import serve

pytestmark = pytest.mark.anyio

CAROL = "user:default/carol"  # in no configured group
RUNS = "/v1/actions/debug:log/runs"


@pytest.fixture
def keys() -> Iterator[BackstageKeys]:
    with backstage_keys() as served:
        yield served


def api_settings(settings: PoolSettings, keys: BackstageKeys, **extra: object) -> ApiSettings:
    teams = [
        static_token("apt_payments", "payments-ci", ALL_SCOPES, [PAYMENTS]),
        static_token("apt_infra", "infra-ci", ALL_SCOPES, [INFRA]),
        static_token("apt_both", "shared-ci", ALL_SCOPES, [PAYMENTS, INFRA]),
    ]
    return ApiSettings(
        **{**settings.model_dump(), "backstage_url": keys.url, "static_tokens": teams, **extra}
    )


def user_entity(name: str, *groups: str) -> dict[str, object]:
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "User",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"memberOf": list(groups)},
        "relations": [{"type": "memberOf", "targetRef": f"group:default/{g}"} for g in groups],
    }


def run_body(owner: str | None = None, **extra: object) -> dict[str, object]:
    context = {"owner": owner} if owner else {}
    return {"input": {"message": "hi"}, "context": context, **extra}


async def test_a_new_backstage_key_is_fetched_once_and_junk_kids_fetch_nothing_more(
    settings: PoolSettings, keys: BackstageKeys
) -> None:
    # Given a pool that may fetch a key set again at most once an hour
    async with serve(api_settings(settings, keys, jwks_refetch_interval_s=3600)) as http:
        alice = bearer(keys.plugin_token(user="user:default/alice"))
        assert (await http.get("/v1/actions", headers=alice)).status_code == 200
        fetched = len(keys.fetches)
        # When 20 tokens arrive with made-up key ids
        for _ in range(20):
            junk = keys.plugin_token(key=KeyPair(uuid.uuid4().hex))
            assert (await http.get("/v1/actions", headers=bearer(junk))).status_code == 401
        # Then Backstage was asked nothing more
        assert len(keys.fetches) == fetched


async def test_a_restarted_backstage_with_new_keys_is_accepted(
    settings: PoolSettings, keys: BackstageKeys
) -> None:
    # Given a pool that has the scaffolder's current keys
    async with serve(api_settings(settings, keys, jwks_refetch_interval_s=0.001)) as http:
        assert (
            await http.get("/v1/actions", headers=bearer(keys.plugin_token()))
        ).status_code == 200
        # When Backstage restarts with a new key (a new kid)
        keys.plugin = KeyPair()
        # Then its tokens are accepted (the set is fetched again on the unknown kid)
        assert (
            await http.get("/v1/actions", headers=bearer(keys.plugin_token()))
        ).status_code == 200


async def test_an_unreachable_backstage_is_a_503_not_a_500(
    settings: PoolSettings, keys: BackstageKeys
) -> None:
    # Given a Backstage whose key endpoints answer 503
    keys.down = True
    async with serve(api_settings(settings, keys)) as http:
        # When a plugin token arrives
        response = await http.get("/v1/actions", headers=bearer(keys.plugin_token()))
        # Then nothing is done and the caller is told to come back
        assert response.status_code == 503
        assert response.json()["error"]["name"] == "IdentityUnavailableError"
        assert response.headers["Retry-After"]


async def test_a_plugin_not_configured_is_refused_without_asking_backstage(
    settings: PoolSettings, keys: BackstageKeys
) -> None:
    async with serve(api_settings(settings, keys)) as http:
        # When the catalog plugin's token arrives (only the scaffolder is configured)
        response = await http.get("/v1/actions", headers=bearer(keys.plugin_token(sub="catalog")))
        # Then it is refused and Backstage's catalog keys were never fetched
        assert response.status_code == 401
        assert not any("/api/catalog/" in path for path in keys.fetches)


async def test_a_user_acts_for_the_groups_of_its_own_entity(
    settings: PoolSettings, keys: BackstageKeys
) -> None:
    async with serve(api_settings(settings, keys)) as http:
        carol = bearer(keys.plugin_token(user=CAROL))
        # When carol's task sends carol's entity, a member of payments
        own = run_body(PAYMENTS, user={"ref": CAROL, "entity": user_entity("carol", "payments")})
        created = await http.post(RUNS, json=own, headers=carol)
        # Then she may create payments runs, and the run names her as its user
        assert created.status_code == 202, created.text
        assert created.json()["context"]["userRef"] == CAROL
        # But an entity of someone else counts for nothing
        other = run_body(PAYMENTS, user={"entity": user_entity("alice", "payments")})
        refused = await http.post(RUNS, json=other, headers=carol)
        assert refused.status_code == 403
        # And she reads her own run back (it names her), though no group is configured for her
        run_id = created.json()["id"]
        assert (await http.get(f"/v1/runs/{run_id}", headers=carol)).status_code == 200


async def test_a_verified_user_cannot_name_another_user(
    settings: PoolSettings, keys: BackstageKeys
) -> None:
    async with serve(api_settings(settings, keys)) as http:
        carol = bearer(keys.plugin_token(user=CAROL))
        body = {
            "input": {"message": "hi"},
            "context": {"owner": CAROL, "userRef": "user:default/dave"},
        }
        response = await http.post(RUNS, json=body, headers=carol)
        assert response.status_code == 403
        assert "user:default/carol" in response.json()["error"]["message"]


async def test_a_team_token_gets_its_one_owner_and_must_name_one_of_several(
    settings: PoolSettings, keys: BackstageKeys
) -> None:
    async with serve(api_settings(settings, keys)) as http:
        # When the payments token names no owner, the run is payments'
        one = await http.post(RUNS, json=run_body(), headers=bearer("apt_payments"))
        assert one.status_code == 202
        assert one.json()["context"]["owner"] == PAYMENTS
        # And a token for two teams must say which
        both = await http.post(RUNS, json=run_body(), headers=bearer("apt_both"))
        assert both.status_code == 403
        assert "context.owner" in both.json()["error"]["message"]


async def test_two_teams_idempotency_keys_never_collide(
    settings: PoolSettings, keys: BackstageKeys
) -> None:
    async with serve(api_settings(settings, keys)) as http:
        # Given payments and infra use the same key
        body = {**run_body(), "idempotencyKey": "task-1:step-1"}
        payments = await http.post(RUNS, json=body, headers=bearer("apt_payments"))
        infra = await http.post(RUNS, json=body, headers=bearer("apt_infra"))
        # Then each got its own run
        assert (payments.status_code, infra.status_code) == (202, 202)
        assert payments.json()["id"] != infra.json()["id"]
        # And infra reusing its key with other input hears of its own run only
        other = {**body, "input": {"message": "changed"}}
        reused = await http.post(RUNS, json=other, headers=bearer("apt_infra"))
        assert reused.status_code == 422
        assert infra.json()["id"] in reused.json()["error"]["message"]
        assert payments.json()["id"] not in reused.text


def test_a_start_without_credentials_refuses_unless_told_explicitly() -> None:
    # Given no credential configured; Then the API will not start
    with pytest.raises(AuthConfigurationError, match="ACTIONPOOL_AUTH_DISABLED"):
        Authenticator(IdentitySettings())
    # Unless authentication is disabled in so many words
    assert Authenticator(IdentitySettings(auth_disabled=True)).disabled
    # And never both: credentials configured and authentication disabled
    tokens = [static_token("apt_x", "x", ALL_SCOPES, [PAYMENTS])]
    with pytest.raises(AuthConfigurationError, match="one or the other"):
        Authenticator(
            IdentitySettings.model_validate({"auth_disabled": True, "static_tokens": tokens})
        )


async def test_with_authentication_disabled_every_caller_is_served(settings: PoolSettings) -> None:
    disabled = ApiSettings(**{**settings.model_dump(), "auth_disabled": True})
    async with serve(disabled, headers=None) as http:
        response = await http.post(RUNS, json=run_body(PAYMENTS))
        assert response.status_code == 202


async def test_a_credential_past_its_rate_is_told_when_to_come_back(
    settings: PoolSettings, keys: BackstageKeys
) -> None:
    # Given a pool where a credential may start 2 runs a minute
    async with serve(api_settings(settings, keys, rate_limit_create="2/minute")) as http:
        payments = bearer("apt_payments")
        # When payments starts 3
        statuses = [
            (await http.post(RUNS, json=run_body(), headers=payments)).status_code for _ in range(3)
        ]
        # Then the third is refused with Retry-After, and infra's budget is its own
        assert statuses == [202, 202, 429]
        refused = await http.post(RUNS, json=run_body(), headers=payments)
        assert refused.json()["error"]["name"] == "RateLimitedError"
        assert int(refused.headers["Retry-After"]) >= 1
        infra = await http.post(RUNS, json=run_body(), headers=bearer("apt_infra"))
        assert infra.status_code == 202


async def test_a_body_not_sent_as_json_without_a_credential_is_a_401(
    settings: PoolSettings, keys: BackstageKeys
) -> None:
    async with serve(api_settings(settings, keys), headers=None) as http:
        response = await http.post(RUNS, content=b"input=x")
        assert response.status_code == 401


async def test_metrics_can_be_opened_to_scrapers_without_a_credential(
    settings: PoolSettings, keys: BackstageKeys
) -> None:
    # Given metrics left closed, then opened by configuration
    async with serve(api_settings(settings, keys), headers=None) as http:
        assert (await http.get("/metrics")).status_code == 401
    async with serve(api_settings(settings, keys, metrics_open=True), headers=None) as http:
        # Then a scraper without a token reads them, and nothing else opens with them
        assert (await http.get("/metrics")).status_code == 200
        assert (await http.get("/v1/stats")).status_code == 401
