"""The sweep's pure decisions: why a due run needs it, and which waiting runs lost their
message."""

import json

import pytest

from actionpool.worker.broker.envelope import PUSHED_MS_HEADER
from actionpool.worker.execution.sweep import due_reason, lost_before_ms

NOW_MS = 1_000_000


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"status": "processing", "leaseUntilMs": str(NOW_MS - 1)}, "lease-expired"),
        ({"status": "processing", "leaseUntilMs": str(NOW_MS + 1)}, None),
        ({"status": "processing", "leaseUntilMs": str(NOW_MS)}, None),
        ({"status": "open", "deadlineMs": str(NOW_MS - 1)}, "deadline"),
        ({"status": "open", "queueDeadlineMs": str(NOW_MS - 1)}, "queue-timeout"),
        (
            {"status": "open", "deadlineMs": str(NOW_MS - 1), "queueDeadlineMs": str(NOW_MS - 1)},
            "deadline",
        ),
        ({"status": "open", "deadlineMs": str(NOW_MS + 1)}, None),
        ({"status": "open"}, None),
        ({"status": "completed", "deadlineMs": str(NOW_MS - 1)}, None),
        ({}, None),
    ],
)
def test_why_a_due_run_needs_the_sweep(fields: dict[str, str], why: str | None) -> None:
    # A processing run whose lease ran out is recovered; an open run past a limit fails
    # (the deadline before the queue timeout); anything else needs nothing now
    assert due_reason(fields, NOW_MS) == why


def message(pushed_ms: int | None) -> str:
    headers = {} if pushed_ms is None else {PUSHED_MS_HEADER: pushed_ms}
    return json.dumps({"headers": {"id": "r.1", **headers}, "body": ""})


def test_an_empty_queue_means_every_run_out_longer_than_the_wait_lost_its_message() -> None:
    assert lost_before_ms(None, NOW_MS, 60_000) == NOW_MS - 60_000


def test_a_waiting_message_holds_back_every_run_that_went_out_after_it() -> None:
    # Given the oldest message waiting went out 10 min ago
    oldest = message(NOW_MS - 600_000)
    # Then only runs that went out more than the wait before it have left the queue
    assert lost_before_ms(oldest, NOW_MS, 60_000) == NOW_MS - 660_000


def test_a_message_from_the_future_counts_as_now() -> None:
    # (a clock ahead on the host that put it there)
    assert lost_before_ms(message(NOW_MS + 5_000), NOW_MS, 60_000) == NOW_MS - 60_000


@pytest.mark.parametrize("payload", [message(None), "not json", json.dumps({"headers": None})])
def test_a_message_that_does_not_say_when_it_went_out_decides_nothing(payload: str) -> None:
    assert lost_before_ms(payload, NOW_MS, 60_000) is None
