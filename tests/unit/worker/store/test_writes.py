"""What the create and settle scripts are told about a run's times: pure arithmetic."""

from datetime import UTC, datetime, timedelta

from actionpool.worker.clock import ms
from actionpool.worker.store.changes import open_due_ms, run_ms_fields
from actionpool.worker.store.records import Run, RunStatus

CREATED = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def run(**changes: object) -> Run:
    fields = {
        "id": "r",
        "action_id": "debug:log",
        "status": RunStatus.OPEN,
        "input": {},
        "max_attempts": 3,
        "queue": "default",
        "created_at": CREATED,
    }
    return Run(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_new_run_is_ready_when_it_is_created_with_its_limits_in_ms() -> None:
    fields = run_ms_fields(run(deadline_at=CREATED + timedelta(minutes=5)))
    assert fields == {
        "createdMs": str(ms(CREATED)),
        "readyMs": str(ms(CREATED)),
        "deadlineMs": str(ms(CREATED) + 300_000),
    }


def test_an_open_run_is_due_at_its_earliest_limit_or_never() -> None:
    assert open_due_ms(10, 5) == 5
    assert open_due_ms(None, 5) == 5
    assert open_due_ms(10, None) == 10
    assert open_due_ms(None, None) is None
