"""Which workers the pool has: each worker's main process announces itself when it is ready
and again with every heartbeat (`worker.execution.presence`), and withdraws when it shuts
down cleanly; `GET /v1/workers` reads them here.

A worker is `up` while it heartbeats; one silent for more than `LOST_AFTER_BEATS` of its own
heartbeat intervals is `lost` (killed, its host gone, cut off from Redis), and it leaves the
listing `WORKER_FORGET_AFTER_S` after its last heartbeat. Each heartbeat writes the whole
announcement again, so a worker reappears by itself after Redis lost its keys. Names are
Celery node names, unique per pool as Celery wants them: two live workers of one name show as
one.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import ValidationError

from actionpool.worker.clock import from_ms, ms
from actionpool.worker.store.aio import AsyncRunStore
from actionpool.worker.store.inflight import read_in_flight
from actionpool.worker.store.keys import WORKER_FORGET_AFTER_S, Keys
from actionpool.worker.store.ops import Command, Commands, flat
from actionpool.worker.store.records import CamelModel, Timestamp

log = logging.getLogger(__name__)

WorkerStatus = Literal["up", "lost"]

LOST_AFTER_BEATS = 3
"""A worker whose last heartbeat is older than this many of its heartbeat intervals is lost."""

FORGET_AFTER_MS = WORKER_FORGET_AFTER_S * 1000


def status_of(heartbeat_at_ms: int, interval_ms: int, now_ms: int) -> WorkerStatus:
    """`up` while the last heartbeat is at most `LOST_AFTER_BEATS` intervals old, else `lost`."""
    return "lost" if now_ms - heartbeat_at_ms > LOST_AFTER_BEATS * interval_ms else "up"


def is_forgotten(heartbeat_at_ms: int, now_ms: int) -> bool:
    """True once a worker's last heartbeat is `WORKER_FORGET_AFTER_S` old: it is not listed."""
    return now_ms - heartbeat_at_ms >= FORGET_AFTER_MS


class Announcement(CamelModel):
    """What a worker says of itself: where it runs, what it serves, since when."""

    name: str
    host: str
    pid: int
    concurrency: int
    queues: list[str]
    version: str
    started_at_ms: int
    heartbeat_interval_ms: int

    def fields(self) -> dict[str, str]:
        """As hash fields (camelCase, the queues as a JSON list)."""
        data = self.model_dump(by_alias=True)
        return {name: json.dumps(v) if name == "queues" else str(v) for name, v in data.items()}


class Presence(Announcement):
    """A worker as its hash shows it: its announcement and its last heartbeat."""

    heartbeat_at_ms: int


def decode_presence(fields: dict[str, str]) -> Presence | None:
    """A worker's hash as a `Presence`; None when it is gone (expired, withdrawn meanwhile) or
    is not one (logged)."""
    if not fields:
        return None
    try:
        return Presence.model_validate({**fields, "queues": json.loads(fields.get("queues", ""))})
    except (ValidationError, ValueError) as exc:
        log.warning("worker hash %s is not a worker's: %s", fields.get("name"), exc)
        return None


class WorkerInfo(CamelModel):
    """A worker of `GET /v1/workers`."""

    name: str
    host: str
    pid: int
    concurrency: int
    runs_in_hand: int
    queues: list[str]
    version: str
    started_at: Timestamp
    last_heartbeat_at: Timestamp
    status: WorkerStatus


def worker_info(presence: Presence, runs_in_hand: int, now_ms: int) -> WorkerInfo:
    """What `GET /v1/workers` shows of a worker at `now_ms`."""
    return WorkerInfo(
        name=presence.name,
        host=presence.host,
        pid=presence.pid,
        concurrency=presence.concurrency,
        runs_in_hand=runs_in_hand,
        queues=presence.queues,
        version=presence.version,
        started_at=from_ms(presence.started_at_ms),
        last_heartbeat_at=from_ms(presence.heartbeat_at_ms),
        status=status_of(presence.heartbeat_at_ms, presence.heartbeat_interval_ms, now_ms),
    )


def announce(keys: Keys, announcement: Announcement, now_ms: int) -> Commands[None]:
    """A heartbeat: the worker's whole hash (and its expiry) and its entry in the set, which
    drops the workers not heard of for `WORKER_FORGET_AFTER_S`."""
    key = keys.worker(announcement.name)
    fields = {**announcement.fields(), "heartbeatAtMs": str(now_ms)}
    commands: list[Command] = [
        ("HSET", key, *flat(fields)),
        ("PEXPIRE", key, FORGET_AFTER_MS),
        ("ZADD", keys.workers, now_ms, announcement.name),
        ("ZREMRANGEBYSCORE", keys.workers, "-inf", now_ms - FORGET_AFTER_MS),
        ("PEXPIRE", keys.workers, FORGET_AFTER_MS),
    ]
    return Commands(commands, lambda _: None)


def withdraw(keys: Keys, name: str) -> Commands[None]:
    """A clean shutdown: the worker leaves the listing at once."""
    return Commands([("DEL", keys.worker(name)), ("ZREM", keys.workers, name)], lambda _: None)


def listed(keys: Keys, now_ms: int) -> Commands[list[str]]:
    """The names of the workers heard of within `WORKER_FORGET_AFTER_S`."""
    command = ("ZRANGEBYSCORE", keys.workers, f"({now_ms - FORGET_AFTER_MS}", "+inf")
    return Commands([command], lambda r: [str(name) for name in r[0]])


def presences(keys: Keys, names: Sequence[str]) -> Commands[list[Presence]]:
    """The hashes of the named workers (those gone meanwhile are left out)."""

    def decode(replies: list[Any]) -> list[Presence]:
        found = (decode_presence(fields or {}) for fields in replies)
        return [presence for presence in found if presence is not None]

    commands: list[Command] = [("HGETALL", keys.worker(name)) for name in names]
    return Commands(commands, decode, transaction=False)


async def read_workers(store: AsyncRunStore) -> list[WorkerInfo]:
    """Every worker heard of within `WORKER_FORGET_AFTER_S`, by name, with the attempts it
    runs now (`worker.store.inflight`)."""
    now_ms = ms(store.now())
    names = await store.run(listed(store.keys, now_ms))
    found = await store.run(presences(store.keys, names)) if names else []
    in_flight = await read_in_flight(store) if found else []
    hands = Counter(attempt.worker for attempt in in_flight)
    return [
        worker_info(presence, hands[presence.name], now_ms)
        for presence in sorted(found, key=lambda p: p.name)
        if not is_forgotten(presence.heartbeat_at_ms, now_ms)
    ]
