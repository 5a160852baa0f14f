"""`Access`: one request's verified caller and the decisions made about it, each recorded
by the audit trail. Routes get it from `api.deps.authorized` and ask it about runs."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from actionpool.actions.errors import NotAllowedError, RunNotFoundError
from actionpool.api.identity import policy
from actionpool.api.identity.audit import Audit, Decision
from actionpool.api.identity.principal import Principal, Scope
from actionpool.worker.client import PoolClient, Run, RunContext


@dataclasses.dataclass(frozen=True)
class Access:
    principal: Principal
    scope: Scope | None
    endpoint: str
    audit: Audit

    async def record(
        self, allowed: bool, reason: str, run_id: str | None = None, owner: str | None = None
    ) -> None:
        await self.audit.record(
            Decision(
                allowed=allowed,
                reason=reason,
                endpoint=self.endpoint,
                scope=self.scope.value if self.scope else "",
                subject=self.principal.subject,
                user=self.principal.user_ref,
                run_id=run_id,
                owner=owner,
            )
        )

    @property
    def owners_filter(self) -> frozenset[str] | None:
        """The owners whose runs this caller sees (None: every owner's)."""
        owners = self.principal.visible_owners
        return None if owners.every else owners.names

    async def run(self, client: PoolClient, run_id: str) -> Run:
        """The run `run_id`, if this caller may see it; a 404 (and a recorded denial) for a
        run that does not exist and for another team's alike."""
        try:
            run = await client.get_run(run_id)
        except RunNotFoundError:
            await self.record(False, "no-such-run", run_id[:64])
            raise
        return await self.see(run)

    async def see(self, run: Run) -> Run:
        """The run, if this caller may see it; else a 404 as for a run that does not exist,
        so another team's run ids do not leak."""
        owner, user = run.context.owner, run.context.user_ref
        if policy.sees(self.principal, owner, user):
            await self.record(True, "granted", run.id, owner)
            return run
        await self.record(False, "other-owner", run.id, owner)
        raise RunNotFoundError(f"No run with id {run.id!r}")

    async def new_run_context(
        self, context: RunContext, user_entity: Mapping[str, Any] | None
    ) -> RunContext:
        """The context a new run gets: its owner one this caller may create runs for, its
        user the verified one (403 otherwise)."""
        owners = policy.creating_owners(self.principal, user_entity)
        try:
            owner = policy.owner_for_new_run(owners, context.owner)
            user = policy.user_for_new_run(self.principal, context.user_ref)
        except NotAllowedError:
            await self.record(False, "owner-not-allowed", owner=context.owner)
            raise
        await self.record(True, "granted", owner=owner)
        return context.model_copy(update={"owner": owner, "user_ref": user})
