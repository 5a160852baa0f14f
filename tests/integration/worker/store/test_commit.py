"""What creating a run answers when Redis fails around it, through a proxy that loses traffic
in front of the real Redis: created (it runs once), not created (it never runs), or not known
(and then a retry with the same idempotency key finds out, and still makes one run)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis

from actionpool.actions.errors import CommitUnknownError, StoreUnavailableError
from actionpool.actions.registry import Registry
from actionpool.devstack import embedded_redis
from actionpool.worker.client import PoolClient, RunRequest
from actionpool.worker.execution.dispatch import Dispatcher
from actionpool.worker.settings import PoolSettings
from actionpool.worker.store.aio import AsyncRunStore
from actionpool.worker.store.records import RunContext
from actionpool.worker.store.scripts import full_source
from tests.clock import ManualClock
from tests.integration.conftest import Broker
from tests.redis_proxy import RedisProxy, redis_proxy
from tests.secrets_keys import SECRETS_KEYS

pytestmark = pytest.mark.anyio


@pytest.fixture
def proxy(redis_url: str) -> Iterator[RedisProxy]:
    with redis_proxy(urlsplit(redis_url).port or 6379) as proxy:
        yield proxy


@pytest.fixture
async def client(
    settings: PoolSettings,
    clock: ManualClock,
    registry: Registry,
    dispatcher: Dispatcher,
    proxy: RedisProxy,
    redis_url: str,
) -> AsyncIterator[PoolClient]:
    """The API's client, its Redis behind the proxy (reads time out after 1 s)."""
    redis.Redis.from_url(redis_url).script_load(full_source("create"))  # no NOSCRIPT detour
    behind = settings.model_copy(update={"redis_url": proxy.url, "redis_socket_timeout_s": 1})
    client = PoolClient(
        registry,
        AsyncRunStore.from_settings(behind, clock),
        dispatcher,
        socket_timeout_s=1,
    )
    await client.store.run(client.reads.queues())  # a connection is open and idle
    yield client
    await client.close()


def request(key: str | None = None) -> RunRequest:
    return RunRequest(input={"message": "hi"}, context=RunContext(), secrets={}, body_key=key)


def runs_recorded(settings: PoolSettings, redis_url: str) -> int:
    return int(redis.Redis.from_url(redis_url).zcard(f"{settings.key_prefix}runs:all"))


async def test_a_create_whose_reply_is_lost_is_found_committed(
    client: PoolClient, proxy: RedisProxy, broker: Broker, settings: PoolSettings, redis_url: str
) -> None:
    # Given a create that Redis carries out, but whose reply the connection loses
    proxy.drop_next_reply.set()
    # When the run is created
    created = await client.create_run("debug:log", request())
    # Then the pool finds out it was committed: one run, one message
    assert created.created
    assert proxy.replies_dropped == 1
    assert runs_recorded(settings, redis_url) == 1
    assert broker.task_args() == [[created.run.id, 1]]


async def test_a_replay_whose_reply_is_lost_is_still_the_replay(
    client: PoolClient, proxy: RedisProxy, broker: Broker
) -> None:
    # Given a run made with key order-1, and the same request again, its reply lost
    first = await client.create_run("debug:log", request(key="order-1"))
    proxy.drop_next_reply.set()
    # When it is sent
    again = await client.create_run("debug:log", request(key="order-1"))
    # Then it answers with the run the key names (not "not created"), and makes no other
    assert proxy.replies_dropped == 1
    assert (again.created, again.run.id) == (False, first.run.id)
    assert broker.task_args() == [[first.run.id, 1]]


async def test_a_create_lost_on_its_way_is_given_up_and_never_runs(
    client: PoolClient, proxy: RedisProxy, broker: Broker, settings: PoolSettings, redis_url: str
) -> None:
    # Given a create whose request the connection loses before Redis reads it
    proxy.swallow_next_request.set()
    # When the run is created, the answer is "not created"
    with pytest.raises(StoreUnavailableError):
        await client.create_run("debug:log", request())
    # Then nothing was recorded, nothing is queued, and the run id is refused for good
    assert proxy.requests_swallowed == 1
    assert runs_recorded(settings, redis_url) == 0
    assert broker.messages() == []
    aborted = redis.Redis.from_url(redis_url).keys(f"{settings.key_prefix}run:*:aborted")
    assert len(aborted) == 1


async def test_a_create_to_an_unreachable_redis_is_not_created(
    client: PoolClient, proxy: RedisProxy, settings: PoolSettings, redis_url: str
) -> None:
    # Given a Redis nobody can reach any more, as the API has noticed
    proxy.refuse()
    with pytest.raises(StoreUnavailableError):
        await client.store.run(client.reads.queues())
    # When a run is created, the answer is "not created", and nothing was
    with pytest.raises(StoreUnavailableError):
        await client.create_run("debug:log", request())
    assert runs_recorded(settings, redis_url) == 0


async def test_when_the_outcome_cannot_be_known_a_retry_with_the_key_makes_one_run(
    client: PoolClient, proxy: RedisProxy, broker: Broker, settings: PoolSettings, redis_url: str
) -> None:
    # Given a create that Redis carries out, then Redis cannot be reached any more
    proxy.drop_next_reply.set()
    original_pass = proxy._pass

    def pass_then_refuse(*args: object) -> bool:
        forwarded = original_pass(*args)  # type: ignore[arg-type]
        if proxy.replies_dropped:
            proxy.refuse()
        return forwarded

    proxy._pass = pass_then_refuse  # type: ignore[method-assign]
    # When the run is created, the answer says the outcome is not known
    with pytest.raises(CommitUnknownError, match="same idempotency key"):
        await client.create_run("debug:log", request(key="order-7"))
    # Then, once Redis is back, the same request with the same key finds the run: one run
    proxy._pass = original_pass  # type: ignore[method-assign]
    proxy.heal()
    again = await client.create_run("debug:log", request(key="order-7"))
    assert not again.created  # a replay: the first request was committed after all
    assert runs_recorded(settings, redis_url) == 1
    assert broker.task_args() == [[again.run.id, 1]]


async def test_a_create_refused_by_a_full_redis_is_not_created(
    tmp_path: Path, registry: Registry, clock: ManualClock
) -> None:
    with embedded_redis(tmp_path / "redis") as url:
        # Given a Redis out of memory (it refuses writes: maxmemory-policy noeviction)
        settings = PoolSettings(redis_url=url, key_prefix="apoom:", secrets_keys=SECRETS_KEYS)
        client = PoolClient.from_settings(settings, registry, clock)
        with redis.Redis.from_url(url) as admin:
            admin.config_set("maxmemory", 1)
            # When a run is created, the answer is "not created" (503), not an error
            with pytest.raises(StoreUnavailableError, match="cannot write"):
                await client.create_run("debug:log", request())
            # Then nothing was recorded
            admin.config_set("maxmemory", 0)
            assert admin.keys("apoom:*") == []
        await client.close()
