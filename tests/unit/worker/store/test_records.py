from datetime import UTC, datetime

from actionpool.worker.store.records import (
    ErrorInfo,
    Run,
    RunContext,
    RunStatus,
    decode_run,
    encode_run,
    iso,
)


def test_run_survives_the_redis_hash_round_trip() -> None:
    # Given a run with every kind of field set
    run = Run(
        id="r1",
        action_id="debug:log",
        status=RunStatus.FAILED,
        input={"message": "hi", "nested": {"n": [1, 2]}},
        output=None,
        error=ErrorInfo(name="RetryableActionError", message="boom"),
        attempt=2,
        max_attempts=3,
        context=RunContext(template_ref="template:default/svc", owner="group:default/a"),
        dry_run=True,
        queue="default",
        created_at=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
    )
    # When it is encoded to hash fields and decoded again
    fields = encode_run(run)
    # Then nothing changes, and absent values are not stored
    assert all(isinstance(v, str) for v in fields.values())
    assert "output" not in fields
    assert decode_run(fields) == run


def test_iso_has_milliseconds_and_z() -> None:
    assert iso(datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)) == "2026-01-02T03:04:05.678Z"


def test_terminal_statuses() -> None:
    assert {s for s in RunStatus if s.is_terminal} == {"completed", "failed", "cancelled"}
