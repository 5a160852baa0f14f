"""Listing policy as pure functions: a filter's clauses of indexes, and cursors."""

from __future__ import annotations

import uuid

import pytest

from actionpool.actions.errors import InvalidCursorError
from actionpool.worker.store.keys import Keys
from actionpool.worker.store.listing import Cursor, RunFilter, clauses
from actionpool.worker.store.records import RunStatus

KEYS = Keys("p:")


def test_no_filter_walks_the_index_of_every_run() -> None:
    assert clauses(RunFilter(), KEYS) == [["p:runs:all"]]


def test_each_filter_is_a_clause_and_statuses_are_one_clause_of_several() -> None:
    # Given a filter on two statuses (one named twice), an action, an owner and a task
    run_filter = RunFilter(
        statuses=(RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.FAILED),
        action_id="debug:log",
        owner="Group:Default/Payments",
        task_id="t1",
    )
    # When it becomes clauses
    found = clauses(run_filter, KEYS)
    # Then the statuses are any-of, the owner is in lower case, and every other is one index
    assert found == [
        ["p:runs:status:failed", "p:runs:status:cancelled"],
        ["p:runs:action:debug:log"],
        ["p:runs:owner:group:default/payments"],
        ["p:runs:task:t1"],
    ]


def test_a_scoped_caller_adds_a_clause_of_its_owners_and_its_own_runs() -> None:
    scope = RunFilter(visible_owners=frozenset({"group:default/b", "group:default/a"}))
    assert clauses(scope, KEYS) == [
        ["p:runs:owner:group:default/a", "p:runs:owner:group:default/b"]
    ]
    mine = RunFilter(visible_owners=frozenset(), visible_user="user:default/x")
    assert clauses(mine, KEYS) == [["p:runs:user:user:default/x"]]


def test_a_cursor_reads_back_as_given() -> None:
    cursor = Cursor(1764700000123, str(uuid.uuid4()))
    assert Cursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize(
    "text", ["", "x", "bm90LWEtY3Vyc29y", "!!!", Cursor(1, "not-a-uuid").encode()]
)
def test_a_cursor_the_pool_did_not_give_out_is_refused(text: str) -> None:
    with pytest.raises(InvalidCursorError):
        Cursor.decode(text)
