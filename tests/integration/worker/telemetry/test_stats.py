"""Flow figures read from real run records in the real Redis."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from actionpool.actions.registry import Registry
from actionpool.worker.client import PoolClient, RunRequest, new_run
from actionpool.worker.execution.dispatch import Dispatcher
from actionpool.worker.execution.executor import Executor
from actionpool.worker.store.records import RunContext
from actionpool.worker.store.store import RunStore
from actionpool.worker.telemetry.stats import GroupBy, read_figures
from tests.clock import ManualClock

pytestmark = pytest.mark.anyio


async def figures(
    client: PoolClient, group_by: str, since: datetime, until: datetime, *, max_runs: int
) -> dict[str, Any]:
    """The figures as `GET /v1/stats` answers them (camelCase JSON)."""
    found = await client.stats(GroupBy(group_by), since, until, max_runs=max_runs)
    body: dict[str, Any] = found.model_dump(mode="json", by_alias=True)
    return body


CREATE = "template:default/create-service"
DOCS = "template:default/docs-site"
TEAM_A, TEAM_B = "group:default/a", "group:default/b"


Record = Callable[..., str]


@pytest.fixture
def record(store: RunStore, registry: Registry, dispatcher: Dispatcher) -> Record:
    return functools.partial(record_run, store, registry, dispatcher)


def record_run(
    store: RunStore,
    registry: Registry,
    dispatcher: Dispatcher,
    action_id: str,
    input: dict[str, Any],
    *,
    template: str | None = None,
    owner: str | None = None,
    created_at: datetime | None = None,
) -> str:
    """Record an open run of a template and owner, with its message, as the API would."""
    context = RunContext(template_ref=template, owner=owner)
    action = registry.get(action_id)
    run = new_run(action, RunRequest(input=input, context=context, secrets={}), store.now())
    if created_at is not None:
        run = run.model_copy(update={"created_at": created_at})
    message = dispatcher.message(run, action, 1)
    store.run(store.writes.create(run, message, fingerprint="test", key_digest=None, secrets={}))
    return run.id


def seconds(start: datetime | None, end: datetime | None) -> float:
    assert start is not None and end is not None
    return round((end - start).total_seconds(), 3)


async def test_figures_of_runs_that_failed_retried_and_completed(
    client: PoolClient,
    store: RunStore,
    clock: ManualClock,
    record: Record,
    executor: Executor,
) -> None:
    # Given three runs of one template, ending a second apart: a permanent failure, a success
    # on attempt 2, a success
    failed = record("debug:fail", {"mode": "nonRetryable"}, template=CREATE)
    retried = record("debug:fail", {"failAttempts": 1}, template=CREATE)
    logged = record("debug:log", {"message": "hi"}, template=CREATE)
    clock.advance(1)
    assert executor.run_attempt(failed, 1, "default") == "failed"
    clock.advance(1)
    assert [executor.run_attempt(retried, n, "default") for n in (1, 2)] == [
        "retrying",
        "completed",
    ]
    clock.advance(1)
    assert executor.run_attempt(logged, 1, "default") == "completed"
    # And a run of another template still open, and a run without a template that completed
    record("debug:log", {"message": "later"}, template=DOCS)
    bare = record("debug:log", {"message": "bare"})
    assert executor.run_attempt(bare, 1, "default") == "completed"
    # When the figures per template are read
    body = await figures(
        client, "template", store.now() - timedelta(hours=1), store.now(), max_runs=100
    )
    # Then each template has its own group, most runs first, the null key last among ties
    assert body["groupBy"] == "template" and body["truncated"] is False
    assert [(g["key"], g["runs"]) for g in body["groups"]] == [(CREATE, 3), (DOCS, 1), (None, 1)]
    create, docs, none = body["groups"]
    # And the template's figures follow from its run records
    runs = [store.get(run_id) for run_id in (failed, retried, logged)]
    durations = sorted(seconds(r.created_at, r.finished_at) for r in runs)
    assert create == {
        "key": CREATE,
        "runs": 3,
        "completed": 2,
        "failed": 1,
        "cancelled": 0,
        "inFlight": 0,
        "successRate": 0.6667,
        "durationP50S": durations[1],
        "durationP95S": durations[2],
        "retryRate": 0.3333,
        "meanTimeToRecoveryS": seconds(runs[0].finished_at, runs[1].finished_at),
    }
    assert (docs["inFlight"], docs["successRate"], docs["durationP50S"]) == (1, None, None)
    assert (none["completed"], none["meanTimeToRecoveryS"]) == (1, None)


async def test_groups_by_owner_and_by_action(
    client: PoolClient, store: RunStore, registry: Registry, record: Record, executor: Executor
) -> None:
    # Given runs of two owners, one with no owner
    for owner in (TEAM_A, TEAM_A, TEAM_B, None):
        record("debug:log", {"message": "x"}, template=CREATE, owner=owner)
    record("debug:sleep", {"seconds": 1}, owner=TEAM_B)
    since = store.now() - timedelta(minutes=5)
    # When the figures are read per owner and per action
    by_owner = await figures(client, "owner", since, store.now(), max_runs=100)
    by_action = await figures(client, "action", since, store.now(), max_runs=100)
    # Then the groups are the owners (null for none) and the actions
    assert [(g["key"], g["runs"]) for g in by_owner["groups"]] == [
        (TEAM_A, 2),
        (TEAM_B, 2),
        (None, 1),
    ]
    assert [(g["key"], g["runs"]) for g in by_action["groups"]] == [
        ("debug:log", 4),
        ("debug:sleep", 1),
    ]


async def test_since_leaves_out_older_runs(
    client: PoolClient, store: RunStore, registry: Registry, record: Record
) -> None:
    # Given a run created 10 days ago and one created now
    record("debug:log", {}, template=CREATE, created_at=store.now() - timedelta(days=10))
    record("debug:log", {}, template=CREATE)
    # When the figures since 7 days ago and since 11 days ago are read
    week = await figures(
        client, "template", store.now() - timedelta(days=7), store.now(), max_runs=100
    )
    longer = await figures(
        client, "template", store.now() - timedelta(days=11), store.now(), max_runs=100
    )
    # Then only the longer window counts the older run
    assert [g["runs"] for g in week["groups"]] == [1]
    assert [g["runs"] for g in longer["groups"]] == [2]


async def test_the_cap_reads_the_newest_runs_and_says_the_window_was_truncated(
    client: PoolClient, store: RunStore, registry: Registry, record: Record
) -> None:
    # Given five runs, one a minute: two of an old template, then three of a new one
    start = store.now() - timedelta(minutes=10)
    for minute, template in enumerate(["old", "old", "new", "new", "new"]):
        created_at = start + timedelta(minutes=minute)
        record("debug:log", {}, template=template, created_at=created_at)
    since = start - timedelta(minutes=1)
    # When one request may read three runs, then five
    capped = await figures(client, "template", since, store.now(), max_runs=3)
    whole = await figures(client, "template", since, store.now(), max_runs=5)
    # Then the capped figures cover the three newest runs and say they were truncated
    assert capped["truncated"] is True
    assert [(g["key"], g["runs"]) for g in capped["groups"]] == [("new", 3)]
    assert whole["truncated"] is False
    assert [(g["key"], g["runs"]) for g in whole["groups"]] == [("new", 3), ("old", 2)]


async def test_an_expired_run_record_is_skipped(
    client: PoolClient, store: RunStore, registry: Registry, record: Record
) -> None:
    # Given two indexed runs, one of whose records has expired (the index keeps its id)
    gone = record("debug:log", {}, template=CREATE)
    record("debug:log", {}, template=CREATE)
    store.redis.delete(store.keys.run(gone))
    # When the figures are read / Then only the run with a record counts
    body = await figures(
        client, "template", store.now() - timedelta(minutes=1), store.now(), max_runs=100
    )
    assert [g["runs"] for g in body["groups"]] == [1]


async def test_the_figures_of_some_owners_read_only_their_runs(
    client: PoolClient, store: RunStore, record: Record
) -> None:
    # Given runs of three owners and one without, a minute apart, team A's the oldest
    start = store.now() - timedelta(minutes=10)
    for minute, owner in enumerate([TEAM_A, TEAM_A, TEAM_B, "group:default/c", None, TEAM_B]):
        created_at = start + timedelta(minutes=minute)
        record("debug:log", {}, template=CREATE, owner=owner, created_at=created_at)
    since, until = start - timedelta(minutes=1), store.now()

    async def owned(
        owners: frozenset[str] | None, max_runs: int = 100
    ) -> tuple[list[tuple[str | None, int]], bool]:
        found = await read_figures(
            client.store, GroupBy.OWNER, since, until, max_runs=max_runs, owners=owners
        )
        return [(g.key, g.runs) for g in found.groups], found.truncated

    # When the figures of teams A and B are read, all of them, then the newest three of them
    both = await owned(frozenset({TEAM_A, TEAM_B}))
    newest = await owned(frozenset({TEAM_A, TEAM_B}), max_runs=3)
    # Then only their runs count, the newest first when the window is cut
    assert both == ([(TEAM_A, 2), (TEAM_B, 2)], False)
    assert newest == ([(TEAM_B, 2), (TEAM_A, 1)], True)
    # And no owner reads no run, and None reads every run
    assert await owned(frozenset()) == ([], False)
    assert len((await owned(None))[0]) == 4
