"""`PoolClient`: the API's one way into the pool (validate, commit, read, wait, follow), and
the record types the API shows.

A run is committed in one Redis step with its first attempt's message (`create.lua`), so the
answer to its creation means one thing: created (it will run), not created (it never runs:
`StoreUnavailableError`), or not known (`CommitUnknownError`; a retry with the same
idempotency key tells).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from opentelemetry import trace
from redis.exceptions import RedisError

from actionpool.actions.action import Action
from actionpool.actions.errors import (
    CommitUnknownError,
    IdempotencyKeyReusedError,
    RunAlreadyEndedError,
    RunNotFoundError,
    StoreUnavailableError,
)
from actionpool.actions.registry import Registry
from actionpool.worker.broker.app import create_celery_app
from actionpool.worker.broker.envelope import Envelopes
from actionpool.worker.clock import SYSTEM_CLOCK, Clock, whole_ms
from actionpool.worker.eventstream import follow
from actionpool.worker.execution.dispatch import Dispatcher
from actionpool.worker.execution.policy import time_limits_of
from actionpool.worker.intake.idempotency import derive_key, digest, fingerprint
from actionpool.worker.intake.payload import validate_input
from actionpool.worker.intake.request import RunRequest, new_run
from actionpool.worker.intake.retry import RetryRequest, retry_run
from actionpool.worker.settings import PoolSettings
from actionpool.worker.store.aio import AsyncRunStore
from actionpool.worker.store.backlog import QueueInfo, read_queues
from actionpool.worker.store.health import MemoryHealth, check_memory
from actionpool.worker.store.listing import (
    MAX_LIMIT,
    Cursor,
    RunFilter,
    RunPage,
    RunSummary,
    list_runs,
)
from actionpool.worker.store.ops import Commands
from actionpool.worker.store.presence import WorkerInfo, read_workers
from actionpool.worker.store.records import (
    TERMINAL_EVENT_TYPES,
    Run,
    RunContext,
    RunEvent,
    RunStatus,
)
from actionpool.worker.store.replies import Created
from actionpool.worker.telemetry import spans
from actionpool.worker.telemetry.metrics import label_admission, render_pool_metrics
from actionpool.worker.telemetry.stats import FlowFigures, GroupBy, read_figures

__all__ = [
    "MAX_LIMIT",
    "CreatedRun",
    "FlowFigures",
    "GroupBy",
    "PoolClient",
    "QueueInfo",
    "Run",
    "RunContext",
    "RunEvent",
    "RunFilter",
    "RunPage",
    "RetryRequest",
    "RunRequest",
    "RunSummary",
    "new_run",
    "RunStatus",
    "time_limits_of",
    "whole_ms",
    "WorkerInfo",
]

log = logging.getLogger(__name__)

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
class CreatedRun:
    run: Run
    created: bool


class PoolClient:
    def __init__(
        self,
        registry: Registry,
        store: AsyncRunStore,
        dispatcher: Dispatcher,
        *,
        allow_eviction: bool = False,
        socket_timeout_s: float,
    ) -> None:
        self.registry = registry
        self.store = store
        self.reads = store.reads
        self.writes = store.writes
        self.dispatcher = dispatcher
        self.allow_eviction = allow_eviction
        self.block_s = min(WAIT_BLOCK_S, socket_timeout_s / 2)
        self.label_admission: Commands[None] | None = None

    @classmethod
    def from_settings(
        cls, settings: PoolSettings, registry: Registry, clock: Clock = SYSTEM_CLOCK
    ) -> PoolClient:
        store = AsyncRunStore.from_settings(settings, clock)
        client = cls(
            registry,
            store,
            Dispatcher(Envelopes(create_celery_app(settings)), clock),
            allow_eviction=settings.allow_eviction,
            socket_timeout_s=settings.redis_socket_timeout_s,
        )
        client.label_admission = label_admission(
            store.keys.metrics, settings.metrics_label_owners, settings.metrics_label_templates
        )
        return client

    def actions(self) -> list[Action[Any, Any]]:
        return list(self.registry)

    def now(self) -> datetime:
        return self.store.now()

    async def create_run(self, action_id: str, request: RunRequest) -> CreatedRun:
        """Validate, then record the run and put its attempt 1 on its queue in one step,
        under the idempotency key (built in the event loop: no thread, one round trip)."""
        action = self.registry.get(action_id)
        normalised = validate_input(action, request.input, dry_run=request.dry_run)
        key = derive_key(request.body_key, request.header_key, request.context)
        key_digest = digest(request.context.owner, key) if key else None
        print_ = fingerprint(action_id, normalised, request.context, request.dry_run)
        run = new_run(action, request, self.store.now())
        attributes = spans.run_attributes(run)
        with spans.attached(attributes):
            message = self.dispatcher.message(run, action, 1)
        call = self.writes.create(
            run, message, fingerprint=print_, key_digest=key_digest, secrets=request.secrets
        )
        resolve = self.writes.resolve(run, fingerprint=print_, key_digest=key_digest)
        created = await self.store.commit(call, on_doubt=lambda: self.store.send(resolve))
        if not created.created:
            return await self._replay(created, print_, key)
        trace.get_current_span().set_attributes(attributes)  # the request's server span
        return CreatedRun(run, created=True)

    async def _replay(self, created: Created, print_: str, key: str | None) -> CreatedRun:
        """The run the key names (after a lost reply, `resolve.lua` says so, or gives the
        new run's id up: then it was not created and never runs)."""
        if created.outcome == "aborted":
            raise StoreUnavailableError(
                "the run store dropped the connection before it answered; the run was not created"
            )
        if created.fingerprint != print_:
            raise IdempotencyKeyReusedError(
                f"idempotency key {key!r} was used for run {created.run_id} "
                "with a different action, input, context or dryRun"
            )
        try:
            run = await self.get_run(created.run_id)
        except StoreUnavailableError as exc:  # the run exists and will run: never a 503
            raise CommitUnknownError(
                f"idempotency key {key!r} names run {created.run_id}, but the run store "
                "stopped answering before it could be read; the same request again answers "
                "with it"
            ) from exc
        with contextlib.suppress(StoreUnavailableError):  # a metric is not worth an error
            await self.store.run(self.writes.count("idempotent_replays", [run.action_id]))
        trace.get_current_span().set_attributes(
            {**spans.run_attributes(run), "actionpool.replayed": True}
        )
        return CreatedRun(run, created=False)

    async def cancel_run(self, run_id: str) -> Run:
        """Cancel a run: an open run ends `cancelled` now; a processing one is asked to stop
        (its heartbeat relays the request). Cancelling a cancelled run changes nothing."""
        check_run_id(run_id)
        queue = await self.store.run(self.reads.run_field(run_id, "queue"))
        if queue is None:
            raise RunNotFoundError(f"No run with id {run_id!r}")
        done = await self.store.commit(self.writes.cancel(run_id, queue, self.store.now()))
        if done.run is None:
            raise RunNotFoundError(f"No run with id {run_id!r}")
        if done.outcome not in ("cancelled", "requested"):
            raise RunAlreadyEndedError(
                f"run {run_id} already ended {done.outcome}: nothing to cancel"
            )
        trace.get_current_span().set_attributes(spans.run_attributes(done.run))
        return done.run  # as the cancel left it: no second read that could fail after it

    async def retry_run(self, request: RetryRequest) -> Run:
        """Reopen a failed or cancelled run as its next attempt (`worker.intake.retry`)."""
        check_run_id(request.run_id)
        run = await retry_run(self.store, self.registry, self.dispatcher, request)
        trace.get_current_span().set_attributes(spans.run_attributes(run))
        return run

    async def get_run(self, run_id: str) -> Run:
        run = await self.store.get(check_run_id(run_id))
        trace.get_current_span().set_attributes(spans.run_attributes(run))  # the request's
        return run

    async def list_runs(self, run_filter: RunFilter, *, cursor: str | None, limit: int) -> RunPage:
        """The newest `limit` runs the filter keeps, after `cursor` (from the indexes)."""
        after = Cursor.decode(cursor) if cursor is not None else None
        call = list_runs(self.store.keys, run_filter, cursor=after, limit=limit)
        return await self.store.run(call)

    async def events(self, run_id: str, *, after: int = 0, limit: int = 1000) -> list[RunEvent]:
        found = await self.store.run(
            self.reads.events(check_run_id(run_id), after=after, limit=limit)
        )
        if not found.exists:
            raise RunNotFoundError(f"No run with id {run_id!r}")
        return found.events

    async def wait_for_end(self, run_id: str, timeout_s: float) -> Run:
        """The run once it has ended, or as it is after `timeout_s` (no polling: XREAD BLOCK)."""
        check_run_id(run_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        position = await self.store.run(self.reads.stream_position(run_id))
        if position.status is None:
            raise RunNotFoundError(f"No run with id {run_id!r}")
        last_id, ended = position.last_id, position.status.is_terminal
        while not ended and (remaining_s := deadline - loop.time()) > 0:
            block_ms = max(1, int(min(remaining_s, self.block_s) * 1000))
            read = self.reads.new_entries(run_id, last_id, count=100, block_ms=block_ms)
            for entry_id, fields in await self.store.run(read):
                last_id = entry_id
                ended = ended or fields.get("type") in TERMINAL_EVENT_TYPES
        return await self.get_run(run_id)

    async def follow_events(self, run_id: str, after: int) -> AsyncIterator[RunEvent]:
        """The run's events after `after`, then each new one as it is written, until the run
        ends (`worker.eventstream.follow`). The run is looked up first, so an unknown run is a
        `RunNotFoundError` (and Redis down a `StoreUnavailableError`) before any event."""
        await self.get_run(run_id)
        return follow(self.store, run_id, after, block_s=self.block_s)

    async def workers(self) -> list[WorkerInfo]:
        """The workers that heartbeat into this pool's Redis, lost ones included."""
        return await read_workers(self.store)

    async def queues(self) -> list[QueueInfo]:
        """Depth, oldest waiting age and runs in flight of every queue the pool serves."""
        return await read_queues(self.store, self.registry.queues())

    async def memory(self) -> MemoryHealth:
        return MemoryHealth.of(await self.store.run(self.reads.memory_info()))

    async def check_ready(self) -> None:
        """Redis answers and keeps what it is given (else `StoreUnavailableError`, or
        `StoreMisconfiguredError` for a Redis that may evict keys)."""
        check_memory(await self.memory(), allow_eviction=self.allow_eviction)

    async def check_at_start(self) -> None:
        """Refuse to start on a Redis that may evict keys; one that does not answer yet is
        waited for (`/readyz` says so meanwhile)."""
        try:
            health = await self.memory()
        except StoreUnavailableError as exc:
            log.warning("Redis does not answer yet (%s): its memory policy is checked later", exc)
            return
        check_memory(health, allow_eviction=self.allow_eviction)
        if self.label_admission is not None:
            await self.store.run(self.label_admission)

    async def stats(
        self,
        group_by: GroupBy,
        since: datetime,
        until: datetime,
        *,
        max_runs: int,
        owners: frozenset[str] | None = None,
    ) -> FlowFigures:
        """Flow figures per template, owner or action of the runs created in [since, until]
        (the newest `max_runs` of them), of the given owners only (None: every owner)."""
        return await read_figures(
            self.store, group_by, since, until, max_runs=max_runs, owners=owners
        )

    async def metrics(self) -> bytes:
        """The pool's metrics in the Prometheus text format (counted pool-wide in Redis)."""
        return await render_pool_metrics(self.store, self.registry.queues())

    async def close(self) -> None:
        with contextlib.suppress(RedisError):  # closing a client of a Redis that is gone
            await self.store.close()
