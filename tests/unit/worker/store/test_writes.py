"""What the create and settle scripts are told about a run's times (its limits, how long its
secrets are kept): pure arithmetic."""

from datetime import UTC, datetime, timedelta

from actionpool.worker.clock import ms
from actionpool.worker.store.changes import open_due_ms, run_ms_fields, secrets_ttl_s
from actionpool.worker.store.keys import SECRETS_DEADLINE_MARGIN_S, SECRETS_TTL_S
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


def test_secrets_are_kept_until_the_deadline_and_a_margin_never_past_the_cap() -> None:
    assert secrets_ttl_s(run()) == SECRETS_TTL_S
    in_5_min = run(deadline_at=CREATED + timedelta(minutes=5))
    assert secrets_ttl_s(in_5_min) == 300 + SECRETS_DEADLINE_MARGIN_S
    in_30_days = run(deadline_at=CREATED + timedelta(days=30))
    assert secrets_ttl_s(in_30_days) == SECRETS_TTL_S
    in_a_fraction = run(deadline_at=CREATED + timedelta(seconds=0.2))
    assert secrets_ttl_s(in_a_fraction) == 1 + SECRETS_DEADLINE_MARGIN_S
