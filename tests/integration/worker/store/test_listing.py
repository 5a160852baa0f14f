"""Listing runs from the indexes (`list_runs.lua`) on the real Redis: order, every filter,
the caller's scope, cursors (ties included), the scan budget, and forgetting a run when its
retention ends."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from actionpool.worker.store.changes import Settlement
from actionpool.worker.store.listing import Cursor, RunFilter, RunPage, list_runs
from actionpool.worker.store.records import Attempt, Run, RunContext, RunStatus
from actionpool.worker.store.store import RunStore
from tests.clock import ManualClock

TEAM_A, TEAM_B = "group:default/team-a", "group:default/team-b"


def page(store: RunStore, run_filter: RunFilter, **options: object) -> RunPage:
    return store.run(list_runs(store.keys, run_filter, **options))  # type: ignore[arg-type]


def every_id(store: RunStore, run_filter: RunFilter, **options: object) -> list[str]:
    """Every run the filter keeps, following the cursors to the end."""
    ids: list[str] = []
    cursor: Cursor | None = None
    while True:
        found = page(store, run_filter, cursor=cursor, **options)
        ids += [run.id for run in found.items]
        if found.next_cursor is None:
            return ids
        cursor = found.next_cursor


def end(store: RunStore, run: Run, status: RunStatus) -> None:
    attempt = Attempt(number=1, worker="w1", started_at=store.now())
    assert store.claim(run.id, run.queue, attempt, "t").outcome == "claimed"
    settlement = Settlement(status=status, attempt=attempt, event_type="completion")
    assert store.settle(run, settlement) == "settled"


@pytest.fixture
def runs(store: RunStore, new_run, create, clock: ManualClock) -> Callable[..., Run]:
    """Create a run, one second after the one before."""

    def make(**context: str) -> Run:
        clock.advance(1)
        run = new_run(created_at=store.now(), context=RunContext(**context))
        create(run)
        return run

    return make


def test_runs_are_listed_newest_first_and_a_cursor_goes_on_where_the_page_stopped(
    store: RunStore, runs
) -> None:
    # Given five runs
    made = [runs(owner=TEAM_A) for _ in range(5)]
    # When they are listed two at a time
    first = page(store, RunFilter(), limit=2)
    # Then the newest come first, and the cursors lead through every run once
    assert [run.id for run in first.items] == [made[4].id, made[3].id]
    assert first.next_cursor is not None
    assert every_id(store, RunFilter(), limit=2) == [run.id for run in reversed(made)]


def test_the_last_page_names_no_cursor(store: RunStore, runs) -> None:
    # Given two runs
    runs(owner=TEAM_A), runs(owner=TEAM_A)
    # When exactly two are asked for
    found = page(store, RunFilter(), limit=2)
    # Then the page says nothing is left
    assert len(found.items) == 2 and found.next_cursor is None


def test_runs_created_in_the_same_millisecond_are_paged_without_loss_or_repeat(
    store: RunStore, new_run, create
) -> None:
    # Given seven runs with one creation time
    made = [new_run(created_at=store.now()) for _ in range(7)]
    for run in made:
        create(run)
    # When they are listed three at a time
    ids = every_id(store, RunFilter(), limit=3)
    # Then each comes exactly once
    assert sorted(ids) == sorted(run.id for run in made) and len(ids) == 7


def test_each_filter_keeps_only_its_runs(store: RunStore, runs, new_run, create) -> None:
    # Given runs of two owners, templates, tasks and users, and of two actions
    a = runs(owner=TEAM_A, template_ref="template:default/svc", task_id="t1", user_ref="user:a")
    b = runs(owner=TEAM_B, template_ref="template:default/web", task_id="t2", user_ref="user:b")
    c = new_run(action_id="debug:sleep", input={"seconds": 1}, context=RunContext(owner=TEAM_B))
    create(c)
    # When each filter is asked
    # Then each keeps exactly its runs (owners compare without case)
    assert every_id(store, RunFilter(owner="Group:Default/Team-A")) == [a.id]
    assert set(every_id(store, RunFilter(owner=TEAM_B))) == {b.id, c.id}
    assert every_id(store, RunFilter(template_ref="template:default/web")) == [b.id]
    assert every_id(store, RunFilter(task_id="t1")) == [a.id]
    assert every_id(store, RunFilter(user_ref="user:b")) == [b.id]
    assert every_id(store, RunFilter(action_id="debug:sleep")) == [c.id]
    assert every_id(store, RunFilter(action_id="debug:sleep", owner=TEAM_A)) == []
    assert every_id(store, RunFilter(task_id="no-such-task")) == []


def test_statuses_are_any_of_and_follow_the_run(store: RunStore, runs) -> None:
    # Given an open run, a completed one and a failed one
    open_, done, failed = runs(owner=TEAM_A), runs(owner=TEAM_A), runs(owner=TEAM_A)
    end(store, done, RunStatus.COMPLETED)
    end(store, failed, RunStatus.FAILED)
    # When statuses are asked for
    either = RunFilter(statuses=(RunStatus.FAILED, RunStatus.COMPLETED))
    # Then a run is listed under the status it is in now
    assert every_id(store, either) == [failed.id, done.id]
    assert every_id(store, RunFilter(statuses=(RunStatus.OPEN,))) == [open_.id]
    assert every_id(store, RunFilter(statuses=(RunStatus.PROCESSING,))) == []


def test_the_creation_window_is_after_inclusive_and_before_exclusive(store: RunStore, runs) -> None:
    # Given three runs a second apart
    first, second, third = runs(), runs(), runs()
    # When a window from the second run's creation to the third's is asked
    window = RunFilter(created_after=second.created_at, created_before=third.created_at)
    # Then only the second is in it
    assert every_id(store, window) == [second.id]
    assert every_id(store, RunFilter(created_before=second.created_at)) == [first.id]


def test_a_caller_sees_its_owners_runs_and_its_own(store: RunStore, runs) -> None:
    # Given runs of team A, of team B, and one of team B started by user x
    a = runs(owner=TEAM_A)
    runs(owner=TEAM_B)
    mine = runs(owner=TEAM_B, user_ref="user:default/x")
    # When user x of team A lists runs
    scope = RunFilter(visible_owners=frozenset({TEAM_A}), visible_user="user:default/x")
    # Then it sees team A's run and its own, not team B's other run
    assert every_id(store, scope) == [mine.id, a.id]
    # And a filter on team B keeps only its own run of team B
    assert every_id(store, RunFilter(owner=TEAM_B, visible_owners=frozenset({TEAM_A}))) == []


def test_a_sparse_filter_answers_short_pages_within_the_budget_and_misses_nothing(
    store: RunStore, runs
) -> None:
    # Given 24 runs: team B's are every other one, the failed ones twelve others, and only
    # two are both
    made = [runs(owner=TEAM_B if i % 2 else TEAM_A) for i in range(24)]
    for i in (*range(0, 20, 2), 3, 17):
        end(store, made[i], RunStatus.FAILED)
    sparse = RunFilter(owner=TEAM_B, statuses=(RunStatus.FAILED,))
    # When team B's failed runs are listed, looking at 1 index entry per call
    first = page(store, sparse, budget=1)
    # Then a call answers what it found so far (the newest of either index is not both)
    # and where to go on
    assert first.looked_at == 1 and first.items == [] and first.next_cursor is not None
    # And following the cursors finds both runs, as one call with the whole budget does
    assert every_id(store, sparse, budget=1) == [made[17].id, made[3].id]
    assert [run.id for run in page(store, sparse).items] == [made[17].id, made[3].id]


def test_a_run_forgotten_at_the_end_of_its_retention_leaves_no_index_entry(
    store: RunStore, runs, clock: ManualClock
) -> None:
    # Given a finished run with an owner, a template, a task and a user
    run = runs(owner=TEAM_A, template_ref="template:default/svc", task_id="t", user_ref="user:u")
    end(store, run, RunStatus.COMPLETED)
    # When its retention ends and the sweep forgets what is due
    assert store.run(store.reads.forgettable(store.now(), 10)) == []
    clock.advance(store.limits.run_retention_s + 1)
    due = store.run(store.reads.forgettable(store.now(), 10))
    assert due == [run.id]
    (indexed,) = store.run(store.reads.indexed_runs(due))
    assert store.run(store.writes.forget(indexed, store.now())) is True
    # Then no key of the pool names the run any more: records, indexes, sets
    left = [
        key
        for key in store.redis.scan_iter(f"{store.keys.prefix}*")
        if key.startswith(store.keys.prefix + "runs") and store.redis.zscore(key, run.id)
    ]
    assert left == []
    assert not store.redis.exists(store.keys.run(run.id), store.keys.events(run.id))
    assert every_id(store, RunFilter()) == []


def test_forget_leaves_a_run_that_is_not_due(store: RunStore, runs) -> None:
    # Given a finished run whose retention has not ended
    run = runs(owner=TEAM_A)
    end(store, run, RunStatus.FAILED)
    (indexed,) = store.run(store.reads.indexed_runs([run.id]))
    # When it is forgotten too early (a sweep with an old view)
    # Then nothing happens
    assert store.run(store.writes.forget(indexed, store.now())) is False
    assert every_id(store, RunFilter()) == [run.id]
