"""`workers`, `queues`, `stats`, `actions`: rows, and the pool's word on its plugins."""

from __future__ import annotations

from datetime import UTC, datetime

from actionpool.console.pool import (
    action_rows,
    plugin_failure,
    queue_rows,
    stats_rows,
    worker_rows,
)

NOW = datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC)


def test_a_worker_as_a_row() -> None:
    worker = {
        "name": "w1@host", "host": "host", "pid": 42, "concurrency": 4, "runsInHand": 1,
        "queues": ["default", "long"], "version": "0.1.0", "startedAt": "2026-11-26T08:00:00Z",
        "lastHeartbeatAt": "2026-11-26T09:59:58Z", "status": "up",
    }  # fmt: skip
    assert worker_rows([worker], NOW) == [
        ["w1@host", "up", "host", "42", "1/4", "default,long", "0.1.0", "2h", "2s"]
    ]


def test_a_queue_as_a_row() -> None:
    queue = {"name": "default", "depth": 3, "oldestWaitingS": 1.5, "inFlight": 2}
    assert queue_rows([queue]) == [["default", "3", "1.5", "2"]]


def test_a_group_of_figures_as_a_row() -> None:
    group = {
        "key": None, "runs": 3, "completed": 2, "failed": 1, "cancelled": 0, "inFlight": 0,
        "successRate": 0.6667, "durationP50S": 1.004, "durationP95S": 2.51, "retryRate": 0.0,
        "meanTimeToRecoveryS": None,
    }  # fmt: skip
    assert stats_rows([group]) == [
        ["-", "3", "2", "1", "0", "0", "66.7%", "1.004", "2.51", "0.0%", "-"]
    ]


def test_plugins_that_did_not_load_fail_the_command() -> None:
    failure = plugin_failure(
        {"X-Actionpool-Plugin-Errors": "2", "X-Actionpool-Failed-Plugins": "a, b"}
    )
    assert failure is not None and failure.exit_code == 1
    assert str(failure).startswith("PluginLoadError: the pool did not load 2 plugin(s): a, b")


def test_a_pool_whose_plugins_loaded_or_that_does_not_say_is_fine() -> None:
    assert plugin_failure({"X-Actionpool-Plugin-Errors": "0"}) is None
    assert plugin_failure({}) is None


def test_an_action_as_a_row_names_its_source_and_its_deprecation() -> None:
    # Given a listed action from a plugin package, deprecated for another
    listed = {
        "id": "acme:old",
        "queue": "default",
        "timeoutS": 60,
        "softTimeoutS": 55,
        "maxAttempts": 3,
        "supportsDryRun": False,
        "description": "Does the old thing.",
        "source": {"package": "acme-actions", "version": "2.1.0"},
        "deprecation": {"replacement": "acme:new", "reason": "renamed"},
    }
    # Then its row shows the package and version, and the description starts with the notice
    (row,) = action_rows([listed])
    assert row[:2] == ["acme:old", "acme-actions 2.1.0"]
    assert row[-1] == "DEPRECATED (use acme:new): Does the old thing."


def test_an_action_of_an_older_pool_without_a_source_shows_a_dash() -> None:
    listed = {"id": "a:b", "timeoutS": 1, "softTimeoutS": 1, "maxAttempts": 1}
    (row,) = action_rows([listed])
    assert row[1] == "-" and row[-1] == "-"
