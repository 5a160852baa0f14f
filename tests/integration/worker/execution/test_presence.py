"""`Beacon` on the real Redis: a worker's heartbeat thread announces it, renews it, and
withdraws it when stopped."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from actionpool.worker.clock import ms
from actionpool.worker.execution.presence import Beacon, announcement_of
from actionpool.worker.settings import PoolSettings
from actionpool.worker.store.store import RunStore
from tests.waiting import wait_until


@pytest.fixture
def live_store(settings: PoolSettings) -> Iterator[RunStore]:
    """A store on the system clock: heartbeats carry real times."""
    store = RunStore.from_settings(settings)
    yield store
    store.close()


def test_a_beacon_announces_renews_and_withdraws_its_worker(
    settings: PoolSettings, live_store: RunStore
) -> None:
    # Given a worker's beacon heartbeating every 50 ms
    settings = settings.model_copy(
        update={"worker_name": "w1@test", "worker_heartbeat_interval_s": 0.05}
    )
    beacon = Beacon(live_store, announcement_of(settings, ["default"], ms(live_store.now())))
    key = live_store.keys.worker("w1@test")

    def heartbeat_ms() -> int:
        return int(live_store.redis.hget(key, "heartbeatAtMs") or 0)

    # When it starts
    beacon.start()
    try:
        # Then the worker is announced with this process's pid, and its heartbeat moves on
        first = wait_until(heartbeat_ms, what="the first heartbeat")
        wait_until(lambda: heartbeat_ms() > first, what="a later heartbeat")
        fields = live_store.redis.hgetall(key)
        assert (fields["name"], fields["pid"]) == ("w1@test", str(os.getpid()))
        assert fields["queues"] == '["default"]' and fields["heartbeatIntervalMs"] == "50"
    finally:
        # And when it stops, the worker is withdrawn (and stopping again changes nothing)
        beacon.stop()
        beacon.stop()
    assert not live_store.redis.exists(key)
    assert live_store.redis.zscore(live_store.keys.workers, "w1@test") is None
