"""`PoolClient`: the API's one way into the pool (validate, record, dispatch, read, wait)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import anyio.to_thread
from opentelemetry import trace
from redis.asyncio import Redis as AsyncRedis
from redis.exceptions import RedisError

from actions.action import Action
from actions.errors import (
    IdempotencyKeyReusedError,
    RunAlreadyEndedError,
    RunNotFoundError,
    StoreUnavailableError,
)
from actions.registry import Registry
from worker import spans
from worker.app import create_celery_app
from worker.connection import connect_async, store_errors
from worker.dispatch import Dispatcher
from worker.eventstream import follow
from worker.idempotency import derive_key, digest, fingerprint
from worker.metrics import read_snapshot, render
from worker.payload import validate_input
from worker.records import (
    TERMINAL_EVENT_TYPES,
    Created,
    Run,
    RunContext,
    RunEvent,
    RunStatus,
    decode_event,
    decode_run,
    now,
)
from worker.scripts import Scripts
from worker.settings import PoolSettings
from worker.stats import FlowFigures, GroupBy, read_figures
from worker.store import RunStore

WAIT_BLOCK_S = 2.0
"""A wait blocks on the event stream in slices this long at most (and half the socket timeout)."""


def check_run_id(run_id: str) -> str:
    """Run ids are UUIDs; anything else names no run (and never reaches a Redis key)."""
    try:
        uuid.UUID(run_id)
    except ValueError:
        raise RunNotFoundError(f"No run with id {run_id!r}") from None
    return run_id


@dataclasses.dataclass(frozen=True)
class RunRequest:
    """What a caller asks for when it starts a run."""

    input: dict[str, Any]
    context: RunContext
    secrets: dict[str, str]
    dry_run: bool = False
    body_key: str | None = None
    header_key: str | None = None


@dataclasses.dataclass(frozen=True)
class CreatedRun:
    run: Run
    created: bool


class PoolClient:
    def __init__(
        self,
        registry: Registry,
        store: RunStore,
        dispatcher: Dispatcher,
        aredis: AsyncRedis,
        *,
        socket_timeout_s: float,
    ) -> None:
        self.registry = registry
        self.store = store
        self.keys = store.keys
        self.dispatcher = dispatcher
        self.aredis = aredis
        self.scripts = Scripts.register(aredis)
        self.socket_timeout_s = socket_timeout_s

    @classmethod
    def from_settings(cls, settings: PoolSettings, registry: Registry) -> PoolClient:
        dispatcher = Dispatcher(create_celery_app(settings))
        return cls(
            registry,
            RunStore.from_settings(settings),
            dispatcher,
            connect_async(settings),
            socket_timeout_s=settings.redis_socket_timeout_s,
        )

    def actions(self) -> list[Action[Any, Any]]:
        return list(self.registry)

    async def create_run(self, action_id: str, request: RunRequest) -> CreatedRun:
        """Validate, record atomically under the idempotency key, then dispatch attempt 1.

        The record is written from the event loop; only the broker publish (blocking, in
        Celery) goes to a worker thread.
        """
        action = self.registry.get(action_id)
        normalised = validate_input(action, request.input, dry_run=request.dry_run)
        key = derive_key(request.body_key, request.header_key, request.context)
        key_digest = digest(key) if key else None
        print_ = fingerprint(action_id, normalised, request.context, request.dry_run)
        run = new_run(action, request)
        call = self.store.create_call(
            run, fingerprint=print_, key_digest=key_digest, secrets=request.secrets
        )
        with store_errors():
            created = Created.of(await self.scripts.create(keys=call.keys, args=call.args))
        if not created.created:
            return await self._replay(created, print_, key)
        attributes = spans.run_attributes(run)
        trace.get_current_span().set_attributes(attributes)  # the request's server span
        try:
            with spans.attached(attributes):  # the thread runs in a copy of this context
                await anyio.to_thread.run_sync(
                    self.dispatcher.dispatch, run.id, action, 1, 0.0, run.deadline_at
                )
        except StoreUnavailableError:
            call = self.store.discard_call(run, key_digest)
            with contextlib.suppress(RedisError):
                await self.scripts.discard(keys=call.keys, args=call.args)
            raise
        return CreatedRun(run, created=True)

    async def _replay(self, created: Created, print_: str, key: str | None) -> CreatedRun:
        if created.fingerprint != print_:
            raise IdempotencyKeyReusedError(
                f"idempotency key {key!r} was used for run {created.run_id} "
                "with a different action, input, context or dryRun"
            )
        run = await self.get_run(created.run_id)
        call = self.store.count_call("idempotent_replays", [run.action_id])
        with store_errors():
            await self.scripts.count(keys=call.keys, args=call.args)
        trace.get_current_span().set_attributes(
            {**spans.run_attributes(run), "actionpool.replayed": True}
        )
        return CreatedRun(run, created=False)

    async def cancel_run(self, run_id: str) -> Run:
        """Cancel a run: an open run ends `cancelled` now; a processing one is asked to stop
        (its heartbeat relays the request). Cancelling a cancelled run changes nothing."""
        check_run_id(run_id)
        call = self.store.cancel_call(run_id)
        with store_errors():
            outcome = await self.scripts.cancel(keys=call.keys, args=call.args)
        if outcome == "missing":
            raise RunNotFoundError(f"No run with id {run_id!r}")
        if outcome not in ("cancelled", "requested"):
            raise RunAlreadyEndedError(f"run {run_id} already ended {outcome}: nothing to cancel")
        return await self.get_run(run_id)

    async def get_run(self, run_id: str) -> Run:
        check_run_id(run_id)
        with store_errors():
            pipe = self.aredis.pipeline(transaction=True)
            pipe.hgetall(self.keys.run(run_id))
            pipe.hgetall(self.keys.attempts(run_id))
            fields, attempts = await pipe.execute()
        if not fields:
            raise RunNotFoundError(f"No run with id {run_id!r}")
        run = decode_run(fields, attempts)
        trace.get_current_span().set_attributes(spans.run_attributes(run))  # the request's
        return run

    async def events(self, run_id: str, *, after: int = 0, limit: int = 1000) -> list[RunEvent]:
        check_run_id(run_id)
        with store_errors():
            pipe = self.aredis.pipeline(transaction=True)
            pipe.exists(self.keys.run(run_id))
            pipe.xrange(self.keys.events(run_id), min=f"0-{after + 1}", count=limit)
            exists, entries = await pipe.execute()
        if not exists:
            raise RunNotFoundError(f"No run with id {run_id!r}")
        return [decode_event(run_id, entry_id, fields) for entry_id, fields in entries]

    async def wait_for_end(self, run_id: str, timeout_s: float) -> Run:
        """The run once it has ended, or as it is after `timeout_s` (no polling: XREAD BLOCK)."""
        check_run_id(run_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        slice_s = min(WAIT_BLOCK_S, self.socket_timeout_s / 2)
        events_key = self.keys.events(run_id)
        with store_errors():
            pipe = self.aredis.pipeline(transaction=True)
            pipe.hget(self.keys.run(run_id), "status")
            pipe.xrevrange(events_key, count=1)
            status, last = await pipe.execute()
            if status is None:
                raise RunNotFoundError(f"No run with id {run_id!r}")
            last_id = last[0][0] if last else "0-0"
            ended = RunStatus(status).is_terminal
            while not ended and (remaining_s := deadline - loop.time()) > 0:
                block_ms = max(1, int(min(remaining_s, slice_s) * 1000))
                reply: Any = await self.aredis.xread({events_key: last_id}, block=block_ms)
                for _stream, entries in reply or []:
                    for entry_id, fields in entries:
                        last_id = entry_id
                        ended = ended or fields.get("type") in TERMINAL_EVENT_TYPES
        return await self.get_run(run_id)

    async def follow_events(self, run_id: str, after: int) -> AsyncIterator[RunEvent]:
        """The run's events after `after`, then each new one as it is written, until the run
        ends (`worker.eventstream.follow`). The run is looked up first, so an unknown run is a
        `RunNotFoundError` (and Redis down a `StoreUnavailableError`) before any event."""
        check_run_id(run_id)
        with store_errors():
            exists = await self.aredis.exists(self.keys.run(run_id))
        if not exists:
            raise RunNotFoundError(f"No run with id {run_id!r}")
        block_s = min(WAIT_BLOCK_S, self.socket_timeout_s / 2)
        return follow(self.aredis, self.keys, run_id, after, block_s=block_s)

    async def ping(self) -> None:
        with store_errors():
            await self.aredis.ping()

    async def stats(
        self, group_by: GroupBy, since: datetime, until: datetime, *, max_runs: int
    ) -> FlowFigures:
        """Flow figures per template, owner or action of the runs created in [since, until]
        (the newest `max_runs` of them)."""
        with store_errors():
            return await read_figures(
                self.aredis, self.keys, group_by, since, until, max_runs=max_runs
            )

    async def metrics(self) -> bytes:
        """The pool's metrics in the Prometheus text format (counted pool-wide in Redis)."""
        with store_errors():
            snapshot = await read_snapshot(self.aredis, self.keys, self.registry.queues())
        return render(snapshot)

    async def close(self) -> None:
        await self.aredis.aclose()
        self.store.redis.close()


def new_run(action: Action[Any, Any], request: RunRequest) -> Run:
    """The record of a run about to be created: open, with its limits and trace context."""
    created_at = now()
    return Run(
        id=str(uuid.uuid4()),
        action_id=action.id,
        status=RunStatus.OPEN,
        input=request.input,
        max_attempts=action.retry.max_attempts,
        context=request.context,
        dry_run=request.dry_run,
        queue=action.queue,
        created_at=created_at,
        queue_deadline_at=after(created_at, action.queue_timeout_s),
        deadline_at=after(created_at, action.deadline_s),
        traceparent=spans.current_traceparent(),
    )


def after(moment: datetime, seconds: float | None) -> datetime | None:
    return None if seconds is None else moment + timedelta(seconds=seconds)
