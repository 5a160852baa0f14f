"""`JwksCache` against a real JWKS endpoint: what it keeps, when it fetches again, and how long
held keys outlive a Backstage that stopped answering."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from actionpool.api.identity.jwks import JwksCache, JwksUnavailableError
from tests.identity import BackstageKeys, backstage_keys

pytestmark = pytest.mark.anyio

PATH = "/api/scaffolder/.backstage/auth/v1/jwks.json"


class Clock:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


@pytest.fixture
def keys() -> Iterator[BackstageKeys]:
    with backstage_keys() as served:
        yield served


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


async def test_held_keys_outlive_a_failing_backstage_for_a_while_only(
    keys: BackstageKeys, http: httpx.AsyncClient
) -> None:
    # Given a cache that fetched the scaffolder's keys
    clock = Clock()
    cache = JwksCache(http, refetch_interval_s=10, max_age_s=100, monotonic=clock)
    url, kid = keys.url + PATH, keys.plugin.kid
    assert await cache.key(url, kid) is not None
    # When Backstage stops answering and the set grows old
    keys.down = True
    clock.now_s = 150
    # Then the held key is still used (a brief outage locks nobody out)
    assert await cache.key(url, kid) is not None
    # But not past twice its age limit
    clock.now_s = 210
    with pytest.raises(JwksUnavailableError):
        await cache.key(url, kid)
    # And once Backstage answers again, so does the cache
    keys.down = False
    clock.now_s = 230
    assert await cache.key(url, kid) is not None


@pytest.mark.parametrize("answer", [b"[]", b"null", b"not json", b'{"keys": 5}', b"{" * 300_000])
async def test_a_key_set_that_is_not_one_is_unavailable_not_a_crash(
    keys: BackstageKeys, http: httpx.AsyncClient, answer: bytes
) -> None:
    # Given a Backstage URL that answers something other than a key set
    keys.answer = answer
    cache = JwksCache(http, refetch_interval_s=10, max_age_s=100)
    # Then the cache says the keys are unavailable (the API answers 503)
    with pytest.raises(JwksUnavailableError):
        await cache.key(keys.url + PATH, keys.plugin.kid)
