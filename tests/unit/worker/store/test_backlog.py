"""A queue's listing entry: its gauges and its attempts running."""

from __future__ import annotations

from actionpool.worker.store.backlog import QueueInfo, queue_infos
from actionpool.worker.store.inflight import InFlight
from actionpool.worker.telemetry.metrics import QueueGauge


def test_each_queue_counts_the_attempts_running_from_it() -> None:
    # Given two queues' gauges, and three attempts running: two from `long`, one from a
    # queue the pool does not list
    gauges = [QueueGauge("default", 3, 1.5), QueueGauge("long", 0, 0.0)]
    running = [InFlight("a", "long", "w1"), InFlight("b", "long", "w2"), InFlight("c", "x", "w1")]
    # When the queues are listed
    listed = queue_infos(gauges, running)
    # Then each shows its depth, oldest age and attempts running, in the gauges' order
    assert listed == [
        QueueInfo(name="default", depth=3, oldest_waiting_s=1.5, in_flight=0),
        QueueInfo(name="long", depth=0, oldest_waiting_s=0.0, in_flight=2),
    ]
    assert listed[0].model_dump(by_alias=True) == {
        "name": "default",
        "depth": 3,
        "oldestWaitingS": 1.5,
        "inFlight": 0,
    }
