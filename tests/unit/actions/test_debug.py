import threading
from pathlib import Path

import pytest

from actionpool.actions.builtin.debug import fail, log, sleep
from actionpool.actions.errors import (
    ActionCancelledError,
    NonRetryableActionError,
    RetryableActionError,
)
from tests.unit.actions.helpers import make_context


def test_log_logs_and_outputs_its_message(tmp_path: Path) -> None:
    ctx, lines = make_context(tmp_path)
    assert log.invoke({"message": "hello"}, ctx) == {"message": "hello"}
    assert lines.lines == ["hello"]


def test_sleep_logs_every_second(tmp_path: Path) -> None:
    ctx, lines = make_context(tmp_path)
    output = sleep.invoke({"seconds": 1.2}, ctx)
    assert output["sleptS"] >= 1.2
    assert lines.lines == ["slept 1 of 1.2 s", "slept 2 of 1.2 s"]


def test_sleep_stops_when_cancelled(tmp_path: Path) -> None:
    # Given a long sleep
    ctx, _ = make_context(tmp_path)
    threading.Timer(0.2, ctx.cancelled.set).start()
    # When the run is cancelled / Then the action stops with ActionCancelledError (an hour's
    # sleep that did not stop would outlast the test's timeout)
    with pytest.raises(ActionCancelledError):
        sleep.invoke({"seconds": 3600}, ctx)


@pytest.mark.parametrize(("attempt", "fails"), [(1, True), (2, True), (3, False)])
def test_fail_fails_the_first_attempts_then_succeeds(
    tmp_path: Path, attempt: int, fails: bool
) -> None:
    ctx, _ = make_context(tmp_path, attempt=attempt)
    if fails:
        with pytest.raises(RetryableActionError):
            fail.invoke({"failAttempts": 2}, ctx)
    else:
        assert fail.invoke({"failAttempts": 2}, ctx) == {"attempt": 3}


def test_fail_can_fail_permanently(tmp_path: Path) -> None:
    ctx, _ = make_context(tmp_path)
    with pytest.raises(NonRetryableActionError):
        fail.invoke({"mode": "nonRetryable"}, ctx)
