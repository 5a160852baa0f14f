"""What waits and what runs per queue, for `GET /v1/queues`: the depth and the age of the
oldest waiting message as the metrics gauges read them (`worker.telemetry.metrics`:
`actionpool_queue_depth`, `actionpool_queue_oldest_age_seconds`; one definition for both),
and the attempts of the queue running now (`worker.store.inflight`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from actionpool.worker.store.aio import AsyncRunStore
from actionpool.worker.store.inflight import InFlight, read_in_flight
from actionpool.worker.store.records import CamelModel
from actionpool.worker.telemetry.metrics import QueueGauge, read_snapshot


class QueueInfo(CamelModel):
    """A queue of `GET /v1/queues`."""

    name: str
    depth: int
    oldest_waiting_s: float
    in_flight: int


def queue_infos(gauges: Sequence[QueueGauge], in_flight: Sequence[InFlight]) -> list[QueueInfo]:
    """Each queue's gauges with the count of its attempts running now, in the gauges' order."""
    running = Counter(attempt.queue for attempt in in_flight)
    return [
        QueueInfo(
            name=gauge.queue,
            depth=gauge.depth,
            oldest_waiting_s=gauge.oldest_age_s,
            in_flight=running[gauge.queue],
        )
        for gauge in gauges
    ]


async def read_queues(store: AsyncRunStore, queues: list[str]) -> list[QueueInfo]:
    """Depth, oldest waiting age (0 when nothing waits) and attempts running of each queue."""
    snapshot = await read_snapshot(store, queues)
    return queue_infos(snapshot.queues, await read_in_flight(store))
