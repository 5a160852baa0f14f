"""A running attempt read from its run's fields and attempts hash."""

from __future__ import annotations

import json

import pytest

from actionpool.worker.store.inflight import InFlight, in_flight_of

ATTEMPTS = {
    "1": json.dumps({"number": 1, "worker": "w0", "status": "failed"}),
    "2": json.dumps({"number": 2, "worker": "w1", "status": "processing"}),
}


def test_a_processing_run_is_in_the_hands_of_its_current_attempts_worker() -> None:
    # Given a run processing attempt 2, attempt 1 having run elsewhere
    # When its running attempt is read
    found = in_flight_of("r1", ["processing", "2", "long"], ATTEMPTS)
    # Then it is attempt 2's worker, from the run's queue
    assert found == InFlight("r1", "long", "w1")


@pytest.mark.parametrize(
    ("row", "attempts"),
    [
        (["completed", "2", "long"], ATTEMPTS),
        ([None, None, None], {}),
        (["processing", "3", "long"], ATTEMPTS),
        (["processing", "2", None], ATTEMPTS),
        (["processing", "2", "long"], {"2": "not json"}),
        (["processing", "2", "long"], {"2": json.dumps({"number": 2})}),
    ],
    ids=["ended", "gone", "no-record", "no-queue", "bad-record", "no-worker"],
)
def test_a_run_not_running_or_without_a_worker_is_not_in_flight(
    row: list[str | None], attempts: dict[str, str]
) -> None:
    # When a run that ended meanwhile, or whose attempt names no worker, is read
    # Then it is not in flight
    assert in_flight_of("r1", row, attempts) is None
