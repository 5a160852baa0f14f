"""`GET /v1/workers` and `GET /v1/queues`: the pool's workers and queues as they are now
(read by `worker.store.presence` and `worker.store.backlog`). Neither carries team data: any
caller holding `runs:read` sees the whole pool."""

from __future__ import annotations

from actionpool.api.schemas import ApiModel
from actionpool.worker.client import QueueInfo, WorkerInfo


class WorkerList(ApiModel):
    """Every worker heard of in the last day, by name: `up` while it heartbeats, `lost` once
    it missed 3 heartbeats; one that shut down cleanly is not listed."""

    items: list[WorkerInfo]


class QueueList(ApiModel):
    """Every queue the pool's actions use, by name."""

    items: list[QueueInfo]
