"""The per-credential rate limit on starting runs, on the real Redis: one budget per
credential across API processes, a 429 with `Retry-After` past it, and no refusal of its
own when Redis cannot be asked."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

import pytest
import redis

from actionpool.actions.errors import RateLimitedError
from actionpool.api.errors import error_response
from actionpool.api.ratelimit import RateLimiter
from actionpool.api.settings import ApiSettings
from actionpool.devstack import free_port
from actionpool.worker.settings import PoolSettings
from actionpool.worker.store.keys import Keys

pytestmark = pytest.mark.anyio

MakeLimiter = Callable[..., RateLimiter]


@pytest.fixture
async def limiter(settings: PoolSettings) -> AsyncIterator[MakeLimiter]:
    """Limiters (each as one API process would build it) on the test's key prefix."""
    made: list[RateLimiter] = []

    def make(rate: str = "3/minute", **changes: object) -> RateLimiter:
        api_settings = ApiSettings(**{**settings.model_dump(), **changes}, rate_limit_create=rate)
        made.append(
            RateLimiter.from_settings(api_settings, key_prefix=Keys(settings.key_prefix).rate_limit)
        )
        return made[-1]

    yield make
    for each in made:
        await each.close()


async def test_two_api_processes_share_one_budget_per_credential(limiter: MakeLimiter) -> None:
    # Given two limiters, as two API processes have, and a budget of 3 runs a minute
    first, second = limiter(), limiter()
    # When one credential starts runs through both
    await first.hit("token:backstage")
    await second.hit("token:backstage")
    await first.hit("token:backstage")
    # Then the fourth run, whichever process it reaches, is refused
    for process in (second, first):
        with pytest.raises(RateLimitedError):
            await process.hit("token:backstage")


async def test_the_refusal_is_a_429_with_retry_after_naming_the_limit(
    limiter: MakeLimiter,
) -> None:
    # Given a credential that used its budget
    only = limiter("2/minute")
    for _ in range(2):
        await only.hit("subject-with-a-secret-sounding-name")
    # When it starts one more run
    with pytest.raises(RateLimitedError) as refused:
        await only.hit("subject-with-a-secret-sounding-name")
    # Then the answer is a 429 whose Retry-After is within the window, and whose message
    # names the limit but not the credential
    error = refused.value
    assert 1 <= error.retry_after_s <= 60
    response = error_response("POST", "/v1/actions/debug:log/runs", error)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(error.retry_after_s)
    assert "2 per 1 minute" in error.message
    assert "secret" not in error.message


async def test_another_credential_has_its_own_budget(limiter: MakeLimiter) -> None:
    # Given a credential that used its budget
    only = limiter("1/minute")
    await only.hit("team-a")
    with pytest.raises(RateLimitedError):
        await only.hit("team-a")
    # Then another credential still starts its runs
    await only.hit("team-b")


async def test_its_keys_are_under_the_pools_prefix_and_name_no_credential(
    limiter: MakeLimiter, settings: PoolSettings
) -> None:
    # When a credential starts a run
    await limiter().hit("token:backstage")
    # Then its one key is under the rate limiter's prefix, with a digest for the credential
    found = redis.Redis.from_url(settings.redis_url).keys(f"{settings.key_prefix}*")
    assert len(found) == 1
    assert found[0].decode().startswith(f"{Keys(settings.key_prefix).rate_limit}:")
    assert b"backstage" not in found[0]


async def test_a_disabled_limit_never_refuses_and_writes_nothing(
    limiter: MakeLimiter, settings: PoolSettings
) -> None:
    off = limiter("1/minute", rate_limit_enabled=False)
    for _ in range(5):
        await off.hit("token:backstage")
    assert redis.Redis.from_url(settings.redis_url).keys(f"{settings.key_prefix}*") == []


async def test_when_redis_cannot_be_asked_runs_go_through_and_it_is_logged(
    limiter: MakeLimiter, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a limiter whose Redis is not there (nothing listens on its port)
    nowhere = limiter(
        "1/minute", redis_url=f"redis://127.0.0.1:{free_port()}/0", redis_socket_timeout_s=1
    )
    # When a credential starts more runs than its budget
    with caplog.at_level(logging.WARNING, logger="actionpool.api.ratelimit"):
        for _ in range(3):
            await nowhere.hit("token:backstage")
    # Then none is refused, and one line (not one per run) says the limit was not checked
    lines = [r.getMessage() for r in caplog.records if r.name == "actionpool.api.ratelimit"]
    assert len(lines) == 1
    assert "rate limit not checked" in lines[0]
