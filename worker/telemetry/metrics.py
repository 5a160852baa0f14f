"""Pool metrics for Prometheus: the catalogue, and the families rendered from what the Lua
scripts count in Redis (so one scrape of any API process shows the whole pool).

Counters and histograms live in one Redis hash (`Keys.metrics`), field
`<metric>\\t<label values>`, written by `worker/store/lua/_metrics.lua` in the same script that
changes the run, so they are exact. Gauges are read at scrape time. The label values are
bounded there (`LABEL_VALUE_MAX_BYTES`, `LABEL_VALUES_MAX`), so the exposition is too; it is
rendered off the event loop (`render_pool_metrics`).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Iterator

import anyio.to_thread
from prometheus_client import generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from actionpool.worker.broker.envelope import run_id_of
from actionpool.worker.clock import ms
from actionpool.worker.store.aio import AsyncRunStore
from actionpool.worker.store.health import MemoryHealth
from actionpool.worker.store.ops import Commands, flat

NAMESPACE = "actionpool"
RUN_LABELS = ("action", "template", "owner")

COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "runs_created": ("Runs recorded by the API", RUN_LABELS),
    "runs_redispatched": (
        "Attempt messages put on their queue again by the sweep (lost inside the broker)",
        RUN_LABELS,
    ),
    "runs_started": ("Runs whose first attempt started", RUN_LABELS),
    "runs_completed": ("Runs that completed", RUN_LABELS),
    "runs_failed": ("Runs that failed for good", RUN_LABELS),
    "runs_cancelled": ("Runs cancelled", RUN_LABELS),
    "runs_retried": ("Attempts that failed and were scheduled again", RUN_LABELS),
    "runs_reopened": (
        "Failed or cancelled runs retried on request (POST /v1/runs/{id}/retry)",
        RUN_LABELS,
    ),
    "leases_recovered": ("Attempts recovered by the sweep after their lease expired", ("action",)),
    "idempotent_replays": ("Requests answered with the run their key already named", ("action",)),
    "authz_decisions": (
        "Authorization decisions of the API (docs/security.md, audit trail)",
        ("decision", "reason", "scope"),
    ),
}
"""Counter (without `_total`) -> help text and label names, in the scripts' label order."""

HISTOGRAMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "run_duration_seconds": (
        "Time from a run's creation to its end",
        ("action", "template", "status"),
    ),
    "queue_wait_seconds": (
        "Time an attempt waited on its queue after it was due",
        ("queue", "action"),
    ),
}

BUCKET_BOUNDS_S = (0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
"""Histogram buckets; `worker/store/lua/_metrics.lua` has the same list."""

METRIC_FIELDS_MAX = 50_000
"""Fields of the metrics hash past which a new label set counts its template and owner as
`OTHER_LABEL` (the last resort: the distinct values are bounded first)."""

LABEL_VALUE_MAX_BYTES = 64
"""Every label value is cut to this many bytes of UTF-8 (at a character boundary), its tabs
made spaces, by the scripts."""

LABEL_VALUES_MAX = {"template": 200, "owner": 200}
"""At most this many distinct templates and owners ever label the metrics; a value first seen
after that is counted as `OTHER_LABEL`."""

OTHER_LABEL = "_other"
"""The label value standing for the values past a bound."""

LABEL_MARKER = "labels"
"""Fields `labels\\t<dimension>\\t<value>` (a value admitted) and `labels\\t<dimension>` (how
many) keep the admitted values in the hash; they are not metrics."""


@dataclasses.dataclass(frozen=True)
class QueueGauge:
    queue: str
    depth: int
    oldest_age_s: float


@dataclasses.dataclass(frozen=True)
class PoolSnapshot:
    """What one scrape read: the counted fields and the gauges of the moment."""

    fields: dict[str, str]
    open_runs: int
    processing_runs: int
    queues: list[QueueGauge]
    memory: MemoryHealth


def split_field(field: str) -> tuple[str, tuple[str, ...]]:
    name, *labels = field.split("\t")
    return name, tuple(labels)


def metric_fields(fields: dict[str, str]) -> dict[str, str]:
    """The counted fields without the marker fields of the admitted label values."""
    marker = f"{LABEL_MARKER}\t"
    return {field: value for field, value in fields.items() if not field.startswith(marker)}


def clipped_label(value: str) -> str:
    """A label value as the scripts write it: tabs made spaces, cut to
    `LABEL_VALUE_MAX_BYTES` of UTF-8 without splitting a character."""
    raw = value.replace("\t", " ").encode()
    return raw[:LABEL_VALUE_MAX_BYTES].decode(errors="ignore")


def allowlist_fields(dimension: str, values: Iterable[str]) -> dict[str, str]:
    """The metrics hash fields (to HSET) that make `values` the only templates or owners
    (`dimension`) that label the metrics from then on: each one admitted, and the count of
    admitted values at its bound, so the scripts count any other one as `OTHER_LABEL`."""
    admitted = {f"{LABEL_MARKER}\t{dimension}\t{clipped_label(v)}": "1" for v in values if v}
    return {**admitted, f"{LABEL_MARKER}\t{dimension}": str(LABEL_VALUES_MAX[dimension])}


def label_admission(
    metrics_key: str, owners: Iterable[str] | None, templates: Iterable[str] | None
) -> Commands[None] | None:
    """The write that makes the configured owners and templates the only ones that label
    metrics (`ACTIONPOOL_METRICS_LABEL_OWNERS`, `_TEMPLATES`); None when neither is set."""
    fields: dict[str, str] = {}
    if owners is not None:
        fields |= allowlist_fields("owner", owners)
    if templates is not None:
        fields |= allowlist_fields("template", templates)
    if not fields:
        return None
    return Commands([("HSET", metrics_key, *flat(fields))], lambda _: None)


def counter_families(fields: dict[str, str]) -> Iterator[Metric]:
    values: dict[str, dict[tuple[str, ...], float]] = defaultdict(dict)
    for field, raw in fields.items():
        name, labels = split_field(field)
        if name in COUNTERS:
            values[name][labels] = float(raw)
    for name, (documentation, label_names) in COUNTERS.items():
        family = CounterMetricFamily(f"{NAMESPACE}_{name}", documentation, labels=label_names)
        for labels, count in sorted(values[name].items()):
            if len(labels) == len(label_names):
                family.add_metric(list(labels), count)
        yield family


def histogram_families(fields: dict[str, str]) -> Iterator[Metric]:
    for name, (documentation, label_names) in HISTOGRAMS.items():
        family = HistogramMetricFamily(f"{NAMESPACE}_{name}", documentation, labels=label_names)
        buckets: dict[tuple[str, ...], dict[str, float]] = defaultdict(dict)
        sums: dict[tuple[str, ...], float] = {}
        for field, value in fields.items():
            metric, labels = split_field(field)
            if metric == f"{name}_bucket" and len(labels) == len(label_names) + 1:
                buckets[labels[:-1]][labels[-1]] = float(value)
            elif metric == f"{name}_sum" and len(labels) == len(label_names):
                sums[labels] = float(value)
        for labels, counts in sorted(buckets.items()):
            family.add_metric(list(labels), cumulative(counts), sums.get(labels, 0.0))
        yield family


def cumulative(counts: dict[str, float]) -> list[tuple[str, float]]:
    """Prometheus buckets (`le`, count of observations <= le) from per-bucket counts."""
    total = 0.0
    buckets = []
    for bound in BUCKET_BOUNDS_S:
        total += counts.get(str(bound) if bound % 1 else str(int(bound)), 0.0)
        buckets.append((str(float(bound)), total))
    buckets.append(("+Inf", total + counts.get("+Inf", 0.0)))
    return buckets


def gauge_families(snapshot: PoolSnapshot) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        f"{NAMESPACE}_runs_in_flight", "Runs with an attempt running", snapshot.processing_runs
    )
    yield GaugeMetricFamily(
        f"{NAMESPACE}_runs_open",
        "Runs not started or waiting for a retry",
        snapshot.open_runs,
    )
    depth = GaugeMetricFamily(
        f"{NAMESPACE}_queue_depth", "Messages waiting on a queue", labels=["queue"]
    )
    age = GaugeMetricFamily(
        f"{NAMESPACE}_queue_oldest_age_seconds",
        "How long the oldest waiting message's attempt has been due",
        labels=["queue"],
    )
    for gauge in snapshot.queues:
        depth.add_metric([gauge.queue], gauge.depth)
        age.add_metric([gauge.queue], gauge.oldest_age_s)
    yield depth
    yield age
    yield from redis_families(snapshot.memory)


def redis_families(memory: MemoryHealth) -> Iterator[Metric]:
    evicting = GaugeMetricFamily(
        f"{NAMESPACE}_redis_evicting",
        "1 when Redis's maxmemory-policy may evict keys (runs can vanish), else 0",
        labels=["policy"],
    )
    evicting.add_metric([memory.policy], 1 if memory.evicts else 0)
    yield evicting
    yield CounterMetricFamily(
        f"{NAMESPACE}_redis_evicted_keys",
        "Keys Redis evicted since it started (anything but 0 means lost data)",
        memory.evicted_keys,
    )


class SnapshotCollector:
    """A prometheus_client collector over one snapshot (`generate_latest(collector)`)."""

    def __init__(self, snapshot: PoolSnapshot) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterable[Metric]:
        fields = metric_fields(self.snapshot.fields)
        yield from counter_families(fields)
        yield from histogram_families(fields)
        yield from gauge_families(self.snapshot)


async def read_snapshot(store: AsyncRunStore, queues: list[str]) -> PoolSnapshot:
    """The counted fields and the gauges, in three round trips."""
    reads = store.reads
    fields, open_runs, processing_runs, *per_queue = await store.run(reads.metrics_snapshot(queues))
    depths, oldest = per_queue[0::2], [run_id_of(message) for message in per_queue[1::2]]
    ready = await store.run(reads.run_fields([r or "-" for r in oldest], ["readyMs"]))
    memory = MemoryHealth.of(await store.run(reads.memory_info()))
    now_ms = ms(store.now())
    gauges = [
        QueueGauge(queue, int(depth), max(0.0, (now_ms - int(row[0])) / 1000) if row[0] else 0.0)
        for queue, depth, row in zip(queues, depths, ready, strict=True)
    ]
    return PoolSnapshot(fields, int(open_runs), int(processing_runs), gauges, memory)


def render(snapshot: PoolSnapshot) -> bytes:
    """The Prometheus text exposition of a snapshot."""
    return generate_latest(SnapshotCollector(snapshot))


async def render_pool_metrics(store: AsyncRunStore, queues: list[str]) -> bytes:
    """The pool's metrics in the Prometheus text format: read from Redis, then rendered in a
    worker thread, so a scrape never holds the event loop for the rendering."""
    snapshot = await read_snapshot(store, queues)
    return await anyio.to_thread.run_sync(render, snapshot)
