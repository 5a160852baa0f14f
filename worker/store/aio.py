"""`AsyncRunStore`: the store's asyncio face, for the API. It runs the operations of
`worker.store.writes` and `worker.store.reads`, and commits the API's writes so that each
answer means one thing:

- the script ran: its reply;
- nothing was sent (no connection to be had): `StoreUnavailableError`, nothing changed;
- the script was sent but its reply was lost: the doubt is settled (`on_doubt`: for a create,
  `resolve.lua` either finds the run or gives its id up for good) while Redis answers again
  within the socket timeout; if it does not, `CommitUnknownError`: the change may or may not
  have been made, and only a retry with the same idempotency key finds out safely.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar, cast

import tenacity
from redis.asyncio import Redis as AsyncRedis
from redis.asyncio.connection import AbstractConnection
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError, ResponseError

from actionpool.actions.errors import CommitUnknownError, RunNotFoundError, StoreUnavailableError
from actionpool.worker.clock import SYSTEM_CLOCK, Clock
from actionpool.worker.settings import PoolSettings
from actionpool.worker.store.changes import StoreLimits
from actionpool.worker.store.connection import (
    CONNECTION_ERRORS,
    connect_async,
    is_unavailable_reply,
    store_errors,
)
from actionpool.worker.store.keys import Keys
from actionpool.worker.store.ops import Commands, Op, ScriptCall
from actionpool.worker.store.reads import Reads
from actionpool.worker.store.records import Run
from actionpool.worker.store.scripts import register_async
from actionpool.worker.store.sealing import Sealer
from actionpool.worker.store.store import limits_of
from actionpool.worker.store.writes import Writes

T = TypeVar("T")

DOUBT_WAIT = tenacity.wait_exponential(multiplier=0.05, max=0.5)


class AsyncRunStore:
    """The run store for asyncio code; reads answer `StoreUnavailableError` on a Redis
    failure, writes go through `commit`."""

    def __init__(
        self,
        redis: AsyncRedis,
        keys: Keys,
        limits: StoreLimits,
        sealer: Sealer,
        *,
        doubt_budget_s: float,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.limits = limits
        self.clock = clock
        self.doubt_budget_s = doubt_budget_s
        self.writes = Writes(keys, limits, sealer)
        self.reads = Reads(keys)
        self.scripts = register_async(redis)

    @classmethod
    def from_settings(cls, settings: PoolSettings, clock: Clock = SYSTEM_CLOCK) -> AsyncRunStore:
        """The store of an API process (refuses to build without a secrets key)."""
        sealer = Sealer.from_settings(settings)  # first: nothing to close when it refuses
        return cls(
            connect_async(settings),
            Keys(settings.key_prefix),
            limits_of(settings),
            sealer,
            doubt_budget_s=settings.redis_socket_timeout_s,
            clock=clock,
        )

    def now(self) -> datetime:
        return self.clock.now()

    async def run(self, op: Op[T]) -> T:
        """Send one read (or a write whose failure changes nothing) and decode its reply."""
        with store_errors():
            return await self.send(op)

    async def send(self, op: Op[T]) -> T:
        """`run` without the translation of Redis errors (they propagate as they are)."""
        if not isinstance(op, Commands):
            return op.decode(await self.scripts[op.script](keys=op.keys, args=op.args))
        if len(op.commands) == 1:
            return op.decode([await cast(Any, self.redis).execute_command(*op.commands[0])])
        pipe = self.redis.pipeline(transaction=op.transaction)
        for command in op.commands:
            pipe.execute_command(*command)
        return op.decode(await pipe.execute())

    async def commit(
        self, call: ScriptCall[T], on_doubt: Callable[[], Awaitable[T]] | None = None
    ) -> T:
        """Run a state-changing script, telling "not done" from "not known" (module doc).
        Without `on_doubt`, a doubt is settled by sending the (idempotent) call again."""
        pool = self.redis.connection_pool
        try:
            conn = await cast(Any, pool).get_connection()
        except CONNECTION_ERRORS as exc:  # nothing was sent
            raise StoreUnavailableError(f"the run store is unavailable: {exc}") from exc
        try:
            await conn.check_health()  # a PING when the connection was idle: not sent yet
        except CONNECTION_ERRORS as exc:
            await pool.release(conn)
            raise StoreUnavailableError(f"the run store is unavailable: {exc}") from exc
        try:
            reply = await self._send(conn, self.scripts[call.script], call)
        except (*CONNECTION_ERRORS, ResponseError) as exc:
            if is_unavailable_reply(exc):  # Redis refused it (OOM, LOADING, ...): not done
                raise StoreUnavailableError(f"the run store cannot write: {exc}") from exc
            if isinstance(exc, ResponseError):
                raise
            await conn.disconnect()
            return await self._settle_doubt(on_doubt or (lambda: self.send(call)), exc)
        finally:
            await pool.release(conn)
        return call.decode(reply)

    @staticmethod
    async def _send(conn: AbstractConnection, script: AsyncScript, call: ScriptCall[Any]) -> Any:
        args = (len(call.keys), *call.keys, *call.args)
        try:
            await conn.send_command("EVALSHA", script.sha, *args)
            return await conn.read_response()
        except NoScriptError:  # a Redis that restarted has forgotten the script
            await conn.send_command("EVAL", script.script, *args)
            return await conn.read_response()

    async def _settle_doubt(self, on_doubt: Callable[[], Awaitable[T]], cause: Exception) -> T:
        retrying = tenacity.AsyncRetrying(
            stop=tenacity.stop_after_delay(self.doubt_budget_s),
            wait=DOUBT_WAIT,
            retry=tenacity.retry_if_exception_type(CONNECTION_ERRORS),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await on_doubt()
        except CONNECTION_ERRORS:
            pass
        raise CommitUnknownError(
            "the run store stopped answering after the change was sent, and did not answer "
            f"again within {self.doubt_budget_s:g} s: it may or may not have been made "
            f"({cause}). Sending the same request with the same idempotency key is safe."
        ) from cause

    async def get(self, run_id: str) -> Run:
        run = await self.run(self.reads.run(run_id))
        if run is None:
            raise RunNotFoundError(f"No run with id {run_id!r}")
        return run

    async def close(self) -> None:
        await self.redis.aclose()
