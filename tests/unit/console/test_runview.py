"""The pure parts of the `runs` commands."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from actionpool.console.http import CliError
from actionpool.console.runview import (
    attempt_rows,
    changes,
    detail_rows,
    list_query,
    parse_secrets,
    run_row,
    seen_of,
    since_time,
    trace_id,
)

NOW = datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC)
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
RUN = {
    "id": "8d8990e1-8d13-4c43-83ab-1807fa1b0c6f",
    "actionId": "debug:fail",
    "status": "failed",
    "attempt": 3,
    "maxAttempts": 3,
    "queue": "default",
    "context": {"owner": "group:default/payments", "templateRef": "template:default/svc"},
    "createdAt": "2026-11-26T09:45:21.635Z",
    "finishedAt": "2026-11-26T09:45:24.135Z",
    "error": {"name": "ActionTimeoutError", "message": "attempt 3 passed its soft time limit"},
    "traceparent": f"00-{TRACE}-00f067aa0ba902b7-01",
    "attempts": [
        {
            "number": 1,
            "worker": "w@h",
            "startedAt": "2026-11-26T09:45:21.700Z",
            "finishedAt": "2026-11-26T09:45:22.700Z",
            "status": "failed",
            "error": {"name": "RetryableActionError", "message": "boom"},
        },
    ],  # fmt: skip
    "links": {"self": "/v1/runs/8d89", "events": "/v1/runs/8d89/events"},
}


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        ("30m", "2026-11-26T09:30:00+00:00"),
        ("1h", "2026-11-26T09:00:00+00:00"),
        ("7d", "2026-11-19T10:00:00+00:00"),
        ("90s", "2026-11-26T09:58:30+00:00"),
        ("2026-11-25T08:00:00Z", "2026-11-25T08:00:00+00:00"),
        ("2026-11-25T08:00:00", "2026-11-25T08:00:00+00:00"),  # no offset: UTC
        ("2026-11-25T09:00:00+01:00", "2026-11-25T09:00:00+01:00"),
    ],
)
def test_since_is_a_span_before_now_or_a_time(since: str, expected: str) -> None:
    assert since_time(since, NOW) == expected


@pytest.mark.parametrize("since", ["soon", "1w", "-1h", "1.5h", ""])
def test_another_since_is_a_usage_error(since: str) -> None:
    with pytest.raises(CliError) as raised:
        since_time(since, NOW)
    assert raised.value.exit_code == 2


def test_the_query_holds_the_given_filters_with_statuses_repeated() -> None:
    query = list_query({"status": ["failed", "cancelled"], "owner": "group:x", "actionId": None})
    assert query == [("status", "failed"), ("status", "cancelled"), ("owner", "group:x")]


def test_a_run_as_a_row() -> None:
    assert run_row(RUN, NOW) == [
        RUN["id"], "debug:fail", "failed", "3/3", "group:default/payments",
        "template:default/svc", "14m", "2.50s",
    ]  # fmt: skip


def test_a_run_without_context_or_end_as_a_row() -> None:
    run = {"id": "r", "actionId": "a:b", "status": "open", "createdAt": "2026-11-26T09:59:58Z",
           "maxAttempts": 1}  # fmt: skip
    assert run_row(run, NOW) == ["r", "a:b", "open", "0/1", "-", "-", "2s", "-"]


@pytest.mark.parametrize(
    ("traceparent", "expected"),
    [
        (f"00-{TRACE}-00f067aa0ba902b7-01", TRACE),
        (None, None),
        ("not-a-traceparent", None),
        (f"00-{TRACE}-short-01", None),
    ],
)
def test_the_trace_id_is_the_traceparents_second_field(
    traceparent: str | None, expected: str | None
) -> None:
    assert trace_id(traceparent) == expected


def test_the_detail_names_the_error_the_trace_and_the_full_links() -> None:
    rows = dict(detail_rows(RUN, "http://pool:8000"))
    assert rows["Error"] == "ActionTimeoutError: attempt 3 passed its soft time limit"
    assert rows["Trace id"] == TRACE
    assert rows["Attempts"] == "3 of 3"
    assert rows["Link events"] == "http://pool:8000/v1/runs/8d89/events"
    assert rows["Duration"] == "2.50s"


def test_each_attempt_is_a_row_with_its_error() -> None:
    assert attempt_rows(RUN) == [
        ["1", "w@h", "2026-11-26T09:45:21.700Z", "2026-11-26T09:45:22.700Z", "failed",
         "RetryableActionError: boom"],
    ]  # fmt: skip


def test_the_watch_shows_new_runs_and_changed_ones_only() -> None:
    before = [
        {"id": "a", "status": "open", "attempt": 0},
        {"id": "b", "status": "processing", "attempt": 1},
    ]
    after = [
        {"id": "c", "status": "open", "attempt": 0},
        {"id": "a", "status": "open", "attempt": 0},
        {"id": "b", "status": "processing", "attempt": 2},
    ]
    assert [run["id"] for run in changes(seen_of(before), after)] == ["c", "b"]
    assert changes(seen_of(after), after) == []


def test_secrets_are_name_value_or_a_variables_value() -> None:
    env = {"GITHUB_TOKEN": "ghp_x"}
    found = parse_secrets(["token=a=b", "GITHUB_TOKEN", "empty="], env)
    assert found == {"token": "a=b", "GITHUB_TOKEN": "ghp_x", "empty": ""}


@pytest.mark.parametrize("item", ["=value", "MISSING"])
def test_a_secret_without_a_name_or_a_variable_is_a_usage_error(item: str) -> None:
    with pytest.raises(CliError) as raised:
        parse_secrets([item], {})
    assert raised.value.exit_code == 2
