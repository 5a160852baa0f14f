"""Figures from raw samples, and the run timings each side leaves in Redis."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable, Iterable
from datetime import datetime

import redis

from actionpool.worker.store.keys import Keys
from bench.plain import done_key


@dataclasses.dataclass(frozen=True)
class Dist:
    """A latency distribution in milliseconds."""

    n: int
    p50_ms: float
    p99_ms: float

    @classmethod
    def of_seconds(cls, values_s: Iterable[float]) -> Dist:
        ordered = sorted(v * 1000 for v in values_s)
        return cls(len(ordered), percentile(ordered, 50), percentile(ordered, 99))


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted values (NaN when there are none)."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclasses.dataclass(frozen=True)
class Timing:
    """One run: when it was accepted, started and finished (epoch seconds)."""

    accepted: float
    started: float
    finished: float


@dataclasses.dataclass(frozen=True)
class Drained:
    """What batches of runs did end to end: runs / the batches' summed spans (first accepted
    to last finished), and the dispatch latency (started - accepted) of every run."""

    runs: int
    failed: int
    per_s: float
    dispatch: Dist

    @classmethod
    def of(cls, batches: list[list[Timing]], failed: int = 0) -> Drained:
        spans = [max(t.finished for t in b) - min(t.accepted for t in b) for b in batches if b]
        timings = [t for batch in batches for t in batch]
        return cls(
            runs=len(timings),
            failed=failed,
            per_s=len(timings) / sum(spans) if sum(spans) > 0 else math.nan,
            dispatch=Dist.of_seconds(t.started - t.accepted for t in timings),
        )


def wait_for(count: Callable[[], int], target: int, timeout_s: float) -> None:
    """Poll until `count()` reaches `target`."""
    deadline = time.monotonic() + timeout_s
    while (seen := count()) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{seen} of {target} runs ended within {timeout_s:g} s")
        time.sleep(0.05)


def _epoch(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


class PoolRuns:
    """The pool's runs under one key prefix, read from its run store."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.keys = Keys(prefix)

    def ids(self) -> set[str]:
        members: list[bytes] = self.client.zrange(self.keys.index("all"), 0, -1)  # type: ignore[assignment]
        return {m.decode() for m in members}

    def ended(self) -> int:
        pipe = self.client.pipeline(transaction=False)
        for status in ("completed", "failed", "cancelled"):
            pipe.zcard(self.keys.index("status", status))
        return sum(pipe.execute())

    def timings(self, ids: Iterable[str]) -> tuple[list[Timing], int]:
        """Accepted (createdAt), started and finished (attempt 1) of completed runs; and how
        many did not complete."""
        ordered = list(ids)
        pipe = self.client.pipeline(transaction=False)
        for run_id in ordered:
            pipe.hmget(self.keys.run(run_id), ["createdAt", "status"])
            pipe.hget(self.keys.attempts(run_id), "1")
        replies = pipe.execute()
        timings, failed = [], 0
        for (created, status), attempt in zip(replies[::2], replies[1::2], strict=True):
            if status != b"completed" or attempt is None:
                failed += 1
                continue
            record = json.loads(attempt)
            started = record.get("startedAt") or record["started_at"]
            finished = record.get("finishedAt") or record["finished_at"]
            timings.append(Timing(_epoch(created.decode()), _epoch(started), _epoch(finished)))
        return timings, failed


class PlainRuns:
    """The no-op tasks' records under one key prefix (see `bench.plain`)."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.key = done_key(prefix)

    def ended(self) -> int:
        return int(self.client.llen(self.key))  # type: ignore[arg-type]

    def take(self) -> list[Timing]:
        """Read and clear the records; a no-op ends when it starts."""
        pipe = self.client.pipeline(transaction=True)
        pipe.lrange(self.key, 0, -1)
        pipe.delete(self.key)
        records, _ = pipe.execute()
        timings = []
        for record in records:
            accepted, started = map(float, record.split())
            timings.append(Timing(accepted, started, started))
        return timings
