"""Retrying a failed run through the API with real worker processes: it runs again as its
next attempt and completes, and its live event stream goes on past its first end."""

from __future__ import annotations

import json
import uuid

from tests.e2e.conftest import Pool


def stream_events(pool: Pool, run_id: str) -> list[dict]:  # type: ignore[type-arg]
    """Every event of the run's live stream (Server-Sent Events), read until it closes."""
    events = []
    headers = {"Accept": "text/event-stream"}
    with pool.http.stream("GET", f"/v1/runs/{run_id}/events", headers=headers) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line.removeprefix("data: ")))
    return events


def test_a_failed_run_retried_completes_and_its_stream_follows_it_to_the_end(
    pool: Pool,
) -> None:
    # Given a run that failed all its 3 attempts (the 4th would succeed)
    run = pool.start_run("debug:fail", {"mode": "retryable", "failAttempts": 3}).json()
    failed = pool.wait_run(run["id"], failOnError="false")
    assert (failed["status"], failed["attempt"]) == ("failed", 3)
    # When an operator retries it (once, though the request is sent twice)
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    first = pool.http.post(f"/v1/runs/{run['id']}/retry", headers=headers)
    again = pool.http.post(f"/v1/runs/{run['id']}/retry", headers=headers)
    assert (first.status_code, again.status_code) == (202, 202), first.text
    # Then the same run completes, on its 4th attempt
    ended = pool.wait_run(run["id"])
    assert (ended["status"], ended["attempt"], ended["output"]) == ("completed", 4, {"attempt": 4})
    assert [a["status"] for a in ended["attempts"]] == ["failed"] * 3 + ["completed"]
    # And its live stream, read from the start, runs through both ends and closes at the last
    events = stream_events(pool, run["id"])
    ends = [e["body"]["status"] for e in events if e["type"] == "completion"]
    assert ends == ["failed", "completed"]
    assert events[-1]["type"] == "completion"
    # And a retry of the completed run is refused
    refused = pool.http.post(f"/v1/runs/{run['id']}/retry")
    assert refused.status_code == 409
    assert refused.json()["error"]["name"] == "RunNotRetryableError"
