import pytest

from worker.leases import overdue_reason

NOW_MS = 1_000_000


@pytest.mark.parametrize(
    ("limits", "why"),
    [
        ([None, None, str(NOW_MS - 10)], None),
        ([None, None, str(NOW_MS - 70_000)], "undispatched"),
        ([str(NOW_MS - 1), None, str(NOW_MS - 70_000)], "deadline"),
        ([None, str(NOW_MS - 1), str(NOW_MS)], "queue-timeout"),
        ([str(NOW_MS + 1), str(NOW_MS + 1), str(NOW_MS)], None),
    ],
)
def test_why_an_open_run_needs_the_sweep(limits: list[str | None], why: str | None) -> None:
    # Given an open run's [deadlineMs, queueDeadlineMs, dueMs] and a 60 s redispatch wait
    # Then a passed deadline wins over a passed queue timeout, which wins over a lost message
    assert overdue_reason(NOW_MS, limits, redispatch_after_ms=60_000) == why


def test_copies_of_a_lost_message_come_ever_less_often() -> None:
    # Given a 60 s redispatch wait, the wait after each copy doubles, up to 32 x
    from worker.policy import redispatch_wait_ms

    waits = [redispatch_wait_ms(n, 60) for n in (1, 2, 3, 5, 9)]
    assert waits == [120_000, 240_000, 480_000, 1_920_000, 1_920_000]
