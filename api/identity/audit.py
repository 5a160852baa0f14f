"""`Audit`: every authorization decision, allow and deny, as one structured log line
(logger `actionpool.audit`, with the request's trace id) and one count of the pool metric
`actionpool_authz_decisions_total{decision, reason, scope}`.

The log line is written at once; the counts are added up in the process and sent to Redis
once a second (and before this process answers `/metrics`), so a request pays no round trip
for them. A process that dies loses at most its last second of counts, never a log line.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import logging

from opentelemetry import trace

from actionpool.actions.errors import StoreUnavailableError
from actionpool.worker.client import PoolClient

log = logging.getLogger("actionpool.audit")


@dataclasses.dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    """`granted`, or why not: `missing`, `unknown-token`, `expired`, `bad-signature`,
    `wrong-audience`, `missing-scope`, `other-owner`, `owner-not-allowed`, …"""
    endpoint: str
    scope: str = ""
    subject: str | None = None
    user: str | None = None
    run_id: str | None = None
    owner: str | None = None

    @property
    def word(self) -> str:
        return "allow" if self.allowed else "deny"


FLUSH_INTERVAL_S = 1.0

Labels = tuple[str, str, str]
"""decision, reason, scope"""


class Audit:
    def __init__(self, client: PoolClient) -> None:
        self.client = client
        self.pending: collections.Counter[Labels] = collections.Counter()

    async def record(self, decision: Decision) -> None:
        span_context = trace.get_current_span().get_span_context()
        trace_id = format(span_context.trace_id, "032x") if span_context.is_valid else None
        log.info(
            "authorization %s: %s %s (%s)",
            decision.word,
            decision.subject or "anonymous",
            decision.endpoint,
            decision.reason,
            extra={
                "event": "authorization",
                "decision": decision.word,
                "reason": decision.reason,
                "subject": decision.subject,
                "user": decision.user,
                "scope": decision.scope,
                "endpoint": decision.endpoint,
                "run_id": decision.run_id,
                "owner": decision.owner,
                "trace_id": trace_id,
            },
        )
        self.pending[(decision.word, decision.reason, decision.scope)] += 1

    async def flush(self) -> None:
        """Send the counts made since the last flush (kept for the next one if Redis fails)."""
        pending, self.pending = self.pending, collections.Counter()
        for labels, amount in pending.items():
            call = self.client.writes.count("authz_decisions", list(labels), by=amount)
            try:
                await self.client.store.run(call)
            except StoreUnavailableError:
                self.pending[labels] += amount

    async def flush_every_second(self) -> None:
        """Runs for the life of the API process."""
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            with contextlib.suppress(Exception):  # a count is never worth the loop
                await self.flush()
