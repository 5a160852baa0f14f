"""Cancellation through the API with real worker processes."""

from __future__ import annotations

import time

from tests.e2e.conftest import Pool, report
from tests.e2e.test_http_errors import assert_backstage_error
from tests.waiting import wait_until


def wait_for_status(pool: Pool, run_id: str, status: str) -> dict:  # type: ignore[type-arg]
    def run_if_there() -> dict | None:  # type: ignore[type-arg]
        run: dict = pool.http.get(f"/v1/runs/{run_id}").json()  # type: ignore[type-arg]
        return run if run["status"] == status else None

    found: dict = wait_until(run_if_there, what=f"run {run_id} {status}")  # type: ignore[type-arg]
    return found


def test_cancelling_a_running_run_stops_it(pool: Pool) -> None:
    # Given a run that sleeps for a minute and has started
    run = pool.start_run("debug:sleep", {"seconds": 60}).json()
    wait_for_status(pool, run["id"], "processing")
    # When it is cancelled
    started = time.monotonic()
    response = pool.http.post(f"/v1/runs/{run['id']}/cancel")
    # Then the cancel is accepted, and the run ends cancelled (not after its minute)
    assert response.status_code in (200, 202)
    assert response.headers["Location"] == f"/v1/runs/{run['id']}"
    ended = pool.wait_run(run["id"], wait_s=50, failOnError="false")
    assert ended["status"] == "cancelled"
    report(f"a running run cancelled: ended after {time.monotonic() - started:.1f} s")
    events = pool.http.get(f"/v1/runs/{run['id']}/events").json()
    assert events[-1]["type"] == "cancelled"
    # And cancelling again changes nothing
    again = pool.http.post(f"/v1/runs/{run['id']}/cancel")
    assert again.status_code == 200 and again.json()["status"] == "cancelled"


def test_an_action_ignoring_cancellation_is_killed_and_the_worker_serves_on(pool: Pool) -> None:
    # Given a run whose action ignores everything but the hard limit
    run = pool.start_run("debug:fail", {"mode": "ignoreSoftTimeout"}).json()
    wait_for_status(pool, run["id"], "processing")
    # When it is cancelled
    pool.http.post(f"/v1/runs/{run['id']}/cancel")
    # Then after the grace period its process is killed and the run ends cancelled
    ended = pool.wait_run(run["id"], wait_s=15, failOnError="false")
    assert ended["status"] == "cancelled"
    assert ended["attempt"] == 1
    # And the worker still serves the next run
    after = pool.start_run("debug:log", {"message": "still serving"}, wait_s=20)
    assert after.status_code == 200 and after.json()["status"] == "completed"


def test_cancelling_a_finished_run_is_a_409(pool: Pool) -> None:
    run = pool.start_run("debug:log", {"message": "x"}, wait_s=20).json()
    response = pool.http.post(f"/v1/runs/{run['id']}/cancel")
    body = assert_backstage_error(response, 409, "RunAlreadyEndedError")
    assert "completed" in body["error"]["message"]


def test_cancelling_an_unknown_run_is_a_404(pool: Pool) -> None:
    response = pool.http.post("/v1/runs/8d8990e1-8d13-4c43-83ab-1807fa1b0c6f/cancel")
    assert_backstage_error(response, 404, "RunNotFoundError")
