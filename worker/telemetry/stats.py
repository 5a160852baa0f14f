"""Flow figures per template, owner or action: runs, success rate, durations, retries and the
mean time from a failure to the next success of the same template.

The computation is pure (`figures_of` over `RunSummary` records); `read_figures` reads the run
records of a time window from Redis (all of them, or those of some owners) and hands them to
it. Its answer is bounded whatever callers put in `templateRef` and `owner`: at most
`GROUPS_MAX` groups and an `OTHER_GROUP`, keys of at most `GROUP_KEY_MAX_CHARS`.
"""

from __future__ import annotations

import dataclasses
import enum
import heapq
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import anyio.to_thread
from pydantic import Field

from actionpool.worker.clock import ms
from actionpool.worker.store.aio import AsyncRunStore
from actionpool.worker.store.keys import Keys
from actionpool.worker.store.ops import Command, Commands, pairs
from actionpool.worker.store.records import CamelModel, RunStatus, Timestamp

READ_BATCH = 500
"""Run records read per pipelined round trip."""

SUMMARY_FIELDS = ("status", "actionId", "context", "createdAt", "finishedAt", "attempt")
"""The run hash fields a summary needs."""

IN_FLIGHT = frozenset({RunStatus.OPEN, RunStatus.PROCESSING})
"""Runs not ended: waiting for a worker (or a retry), or running."""

TIMED = frozenset({RunStatus.COMPLETED, RunStatus.FAILED})
"""Runs whose duration counts: they ran to an outcome (cancelled runs did not)."""

GROUPS_MAX = 100
"""Groups one answer shows by name (those with the most runs); the runs of the others are
summed in one more group, `OTHER_GROUP`."""

GROUP_KEY_MAX_CHARS = 64
"""Group keys are cut to this many characters (runs whose keys agree that far are one group),
as the metrics' label values are."""

OTHER_GROUP = "_other"
"""The key of the group summing the runs of the groups past `GROUPS_MAX`."""


class GroupBy(enum.StrEnum):
    TEMPLATE = "template"
    OWNER = "owner"
    ACTION = "action"


@dataclasses.dataclass(frozen=True)
class RunSummary:
    """What the figures need of one run."""

    status: RunStatus
    action_id: str
    template_ref: str | None
    owner: str | None
    created_at: datetime
    finished_at: datetime | None = None
    attempt: int = 0

    @property
    def duration_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.created_at).total_seconds()


class GroupFigures(CamelModel):
    """The flow figures of one group of `GET /v1/stats`."""

    key: str | None = Field(
        description="The templateRef, owner or actionId; null for runs without a template or owner"
    )
    runs: int = Field(description="Runs created in the window, whatever their status")
    completed: int
    failed: int
    cancelled: int
    in_flight: int = Field(description="Runs still open or processing")
    success_rate: float | None = Field(description="completed / (completed + failed)")
    duration_p50_s: float | None = Field(
        description="Median finishedAt - createdAt of completed and failed runs (nearest rank)",
    )
    duration_p95_s: float | None = Field(description="95th percentile of the same durations")
    retry_rate: float | None = Field(description="Share of ended runs that took 2+ attempts")
    mean_time_to_recovery_s: float | None = Field(
        description="Mean time from a failed run's end to the end of the next completed run "
        "of the same template",
    )


class FlowFigures(CamelModel):
    """`GET /v1/stats`: flow figures per template, owner or action, most runs first."""

    group_by: GroupBy
    since: Timestamp
    until: Timestamp
    truncated: bool = Field(
        description="The window held more runs than one request reads: the figures cover "
        "its newest ones"
    )
    groups: list[GroupFigures]


def percentile(values: Sequence[float], percent: int) -> float | None:
    """The nearest-rank percentile: the smallest value with at least `percent`% of the values
    at or below it; None without values."""
    if not values:
        return None
    rank = max(1, -(-percent * len(values) // 100))
    return sorted(values)[rank - 1]


def share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def group_key(run: RunSummary, group_by: GroupBy) -> str | None:
    """The run's template, owner or action, cut to `GROUP_KEY_MAX_CHARS`."""
    if group_by is GroupBy.TEMPLATE:
        key = run.template_ref
    elif group_by is GroupBy.OWNER:
        key = run.owner
    else:
        key = run.action_id
    return None if key is None else key[:GROUP_KEY_MAX_CHARS]


def recovery_key(run: RunSummary) -> tuple[str, str]:
    """Recoveries are matched per template; runs without one, per action."""
    return ("template", run.template_ref) if run.template_ref else ("action", run.action_id)


def recovery_times_s(runs: Iterable[RunSummary]) -> list[float]:
    """For each failed run followed (by finishedAt, same recovery key) by a completed run, the
    seconds from the failure's end to that success's end. Cancelled runs are ignored; failures
    never followed by a success are left out."""
    streams: dict[tuple[str, str], list[tuple[datetime, RunStatus]]] = defaultdict(list)
    for run in runs:
        if run.status in TIMED and run.finished_at is not None:
            streams[recovery_key(run)].append((run.finished_at, run.status))
    times_s: list[float] = []
    for stream in streams.values():
        waiting: list[datetime] = []
        for finished_at, status in sorted(stream):
            if status is RunStatus.FAILED:
                waiting.append(finished_at)
                continue
            times_s.extend((finished_at - failed_at).total_seconds() for failed_at in waiting)
            waiting = []
    return times_s


def mean(values: Sequence[float]) -> float | None:
    return None if not values else sum(values) / len(values)


def rounded_s(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


def figures_of_group(key: str | None, runs: Sequence[RunSummary]) -> GroupFigures:
    count = {status: sum(1 for r in runs if r.status is status) for status in RunStatus}
    ended = [r for r in runs if r.status.is_terminal]
    durations_s = [r.duration_s for r in runs if r.status in TIMED and r.duration_s is not None]
    completed, failed = count[RunStatus.COMPLETED], count[RunStatus.FAILED]
    return GroupFigures(
        key=key,
        runs=len(runs),
        completed=completed,
        failed=failed,
        cancelled=count[RunStatus.CANCELLED],
        in_flight=sum(count[status] for status in IN_FLIGHT),
        success_rate=share(completed, completed + failed),
        duration_p50_s=rounded_s(percentile(durations_s, 50)),
        duration_p95_s=rounded_s(percentile(durations_s, 95)),
        retry_rate=share(sum(1 for r in ended if r.attempt > 1), len(ended)),
        mean_time_to_recovery_s=rounded_s(mean(recovery_times_s(runs))),
    )


def figures_of(
    runs: Iterable[RunSummary], group_by: GroupBy, groups_max: int = GROUPS_MAX
) -> list[GroupFigures]:
    """One entry per group, most runs first, then by key (the None key after the others); past
    `groups_max` groups, the rest are summed in a last entry keyed `OTHER_GROUP`."""
    groups: dict[str | None, list[RunSummary]] = defaultdict(list)
    for run in runs:
        groups[group_key(run, group_by)].append(run)
    ranked = sorted(groups.items(), key=lambda g: (-len(g[1]), g[0] is None, g[0] or ""))
    figures = [figures_of_group(key, members) for key, members in ranked[:groups_max]]
    rest = [run for _, members in ranked[groups_max:] for run in members]
    return figures + ([figures_of_group(OTHER_GROUP, rest)] if rest else [])


def decode_summary(values: Sequence[str | None]) -> RunSummary | None:
    """A summary from the HMGET of `SUMMARY_FIELDS`; None if the run record is gone."""
    status, action_id, context_json, created_at, finished_at, attempt = values
    if status is None or action_id is None or created_at is None:
        return None
    context: dict[str, Any] = json.loads(context_json) if context_json else {}
    return RunSummary(
        status=RunStatus(status),
        action_id=action_id,
        template_ref=context.get("templateRef"),
        owner=context.get("owner"),
        created_at=datetime.fromisoformat(created_at),
        finished_at=datetime.fromisoformat(finished_at) if finished_at else None,
        attempt=int(attempt or 0),
    )


def owned_between(
    keys: Keys, owners: Iterable[str], since: datetime, until: datetime, limit: int
) -> Commands[list[str]]:
    """The newest `limit` run ids created in [since, until] of any of `owners` (read from
    their owner indexes), newest first."""
    commands: list[Command] = [
        ("ZREVRANGEBYSCORE", keys.index("owner", owner), ms(until), ms(since))
        + ("WITHSCORES", "LIMIT", 0, limit)
        for owner in sorted(owners)
    ]

    def decode(replies: list[Any]) -> list[str]:
        scored = (
            (float(score), run_id) for reply in replies for run_id, score in pairs(reply).items()
        )
        return [run_id for _, run_id in heapq.nlargest(limit, scored)]

    return Commands(commands, decode, transaction=False)


async def run_ids_between(
    store: AsyncRunStore,
    since: datetime,
    until: datetime,
    limit: int,
    owners: frozenset[str] | None,
) -> list[str]:
    """The newest `limit` run ids created in [since, until], of `owners` only unless None."""
    if owners is None:
        return await store.run(store.reads.created_between(since, until, limit))
    if not owners:
        return []
    return await store.run(owned_between(store.keys, owners, since, until, limit))


async def read_summaries(
    store: AsyncRunStore,
    since: datetime,
    until: datetime,
    *,
    max_runs: int,
    owners: frozenset[str] | None = None,
) -> tuple[list[RunSummary], bool]:
    """The summaries of the newest `max_runs` runs created in [since, until] (of `owners` only
    unless None), and whether the window held more (truncated)."""
    reply = await run_ids_between(store, since, until, max_runs + 1, owners)
    run_ids = reply[:max_runs]
    summaries: list[RunSummary] = []
    for start in range(0, len(run_ids), READ_BATCH):
        batch = run_ids[start : start + READ_BATCH]
        rows = await store.run(store.reads.run_fields(batch, SUMMARY_FIELDS))
        summaries.extend(s for s in map(decode_summary, rows) if s is not None)
    return summaries, len(reply) > max_runs


async def read_figures(
    store: AsyncRunStore,
    group_by: GroupBy,
    since: datetime,
    until: datetime,
    *,
    max_runs: int,
    owners: frozenset[str] | None = None,
) -> FlowFigures:
    """The flow figures of the runs created in [since, until] (the newest `max_runs` of them);
    of the runs whose owner is one of `owners` only, unless None (every run)."""
    summaries, truncated = await read_summaries(
        store, since, until, max_runs=max_runs, owners=owners
    )
    # tens of thousands of runs sorted and ranked: off the event loop (streams, probes)
    groups = await anyio.to_thread.run_sync(figures_of, summaries, group_by)
    return FlowFigures(
        group_by=group_by, since=since, until=until, truncated=truncated, groups=groups
    )
