"""A run's life through real processes: API (uvicorn) -> Redis -> celery worker -> action."""

from __future__ import annotations

import re
import time
from datetime import datetime

from tests.e2e.conftest import E2E_OVERRIDES, Pool, report
from tests.waiting import wait_until


def seconds_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def test_run_completes_with_its_output(pool: Pool) -> None:
    # When a run is started
    response = pool.start_run("debug:log", {"message": "hello pool"})
    # Then it is accepted with its own URLs and a Location
    assert response.status_code == 202
    run = response.json()
    assert run["status"] in ("open", "processing", "completed")
    assert response.headers["Location"] == run["links"]["self"] == f"/v1/runs/{run['id']}"
    # And it completes with the action's output and Backstage-shaped events
    ended = pool.wait_run(run["id"])
    assert ended["status"] == "completed"
    assert ended["output"] == {"message": "hello pool"}
    events = pool.http.get(run["links"]["events"]).json()
    assert [e["type"] for e in events] == ["log", "log", "completion"]
    assert events[1]["body"]["message"] == "hello pool"
    assert events[2]["body"] == {
        "message": "Run completed with status: completed",
        "status": "completed",
        "output": {"message": "hello pool"},
    }
    after = pool.http.get(run["links"]["events"], params={"after": events[1]["id"]}).json()
    assert [e["type"] for e in after] == ["completion"]


MS_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def test_every_time_of_a_run_and_its_events_is_utc_with_milliseconds(pool: Pool) -> None:
    # Given a run that ended after an attempt
    run_id = pool.start_run("debug:log", {"message": "when"}).json()["id"]
    ended = pool.wait_run(run_id)
    events = pool.http.get(f"/v1/runs/{run_id}/events").json()
    # Then every time it shows is ISO 8601 in UTC, to the millisecond, with a Z
    times = [v for k, v in ended.items() if k.endswith("At") and v]
    times += [v for a in ended["attempts"] for k, v in a.items() if k.endswith("At") and v]
    times += [e["createdAt"] for e in events]
    assert len(times) >= 7
    assert all(MS_UTC.fullmatch(t) for t in times), times


def test_flaky_action_succeeds_on_attempt_three_of_three(pool: Pool) -> None:
    run = pool.start_run("debug:fail", {"mode": "retryable", "failAttempts": 2}).json()
    ended = pool.wait_run(run["id"])
    assert ended["status"] == "completed"
    assert (ended["attempt"], ended["maxAttempts"]) == (3, 3)
    assert ended["output"] == {"attempt": 3}
    assert [a["status"] for a in ended["attempts"]] == ["failed", "failed", "completed"]


def test_run_fails_after_max_attempts(pool: Pool) -> None:
    run = pool.start_run("debug:fail", {"mode": "retryable", "failAttempts": 10}).json()
    ended = pool.wait_run(run["id"])
    assert ended["status"] == "failed"
    assert ended["attempt"] == 3
    assert ended["error"]["name"] == "RetryableActionError"


def test_non_retryable_error_fails_at_attempt_one(pool: Pool) -> None:
    run = pool.start_run("debug:fail", {"mode": "nonRetryable"}).json()
    ended = pool.wait_run(run["id"])
    assert (ended["status"], ended["attempt"]) == ("failed", 1)
    assert ended["error"]["name"] == "NonRetryableActionError"


def test_soft_timeout_fails_the_run_in_time(pool: Pool) -> None:
    # Given debug:sleep limited to a 3 s soft timeout and a single attempt
    soft_s = E2E_OVERRIDES["debug:sleep"]["soft_timeout_s"]
    started = time.monotonic()
    # When it is asked to sleep far longer, and the caller waits
    response = pool.start_run("debug:sleep", {"seconds": 60}, wait_s=30)
    elapsed_s = time.monotonic() - started
    # Then the wait fails with the run's ActionTimeoutError, its soft limit having passed
    # (how soon after is a figure, reported, not a bound)
    assert response.status_code == 424
    assert response.headers["Location"] == f"/v1/runs/{response.json()['run']['id']}"
    body = response.json()
    assert body["error"]["name"] == "ActionTimeoutError"
    assert "soft time limit" in body["error"]["message"]
    assert body["run"]["status"] == "failed"
    assert elapsed_s >= soft_s
    report(f"soft timeout {soft_s:g} s: the waiting request failed after {elapsed_s:.1f} s")


def test_action_ignoring_its_soft_timeout_is_killed_and_the_worker_serves_on(pool: Pool) -> None:
    hard_s = E2E_OVERRIDES["debug:fail"]["timeout_s"]
    # Given a run whose action swallows the soft time limit
    run = pool.start_run("debug:fail", {"mode": "ignoreSoftTimeout"}).json()

    # When its first attempt reaches the hard limit
    def first_attempt_ended() -> dict | None:  # type: ignore[type-arg]
        attempts = pool.http.get(f"/v1/runs/{run['id']}").json()["attempts"]
        return attempts[0] if attempts and attempts[0].get("finishedAt") else None

    first: dict = wait_until(first_attempt_ended, what="the first attempt's end")  # type: ignore[type-arg]
    # Then the attempt was killed at timeout_s and recorded as a timeout
    assert first["error"]["name"] == "ActionTimeoutError"
    assert "hard time limit" in first["error"]["message"]
    killed_after_s = seconds_between(first["startedAt"], first["finishedAt"])
    assert killed_after_s > hard_s - 0.5
    report(f"hard limit {hard_s:g} s: the attempt was killed after {killed_after_s:.1f} s")
    # And the worker still serves the next run
    after = pool.start_run("debug:log", {"message": "still serving"}, wait_s=20)
    assert after.status_code == 200 and after.json()["status"] == "completed"
    # And the run fails after its attempts are used up, each killed the same way
    ended = pool.wait_run(run["id"], wait_s=3 * hard_s + 15)
    assert ended["status"] == "failed" and ended["attempt"] == 3
    assert all("hard time limit" in a["error"]["message"] for a in ended["attempts"])


def test_wait_returns_when_the_run_ends_not_when_the_wait_runs_out(pool: Pool) -> None:
    # Given a run that takes about one second, and a caller ready to wait 50 s
    started = time.monotonic()
    response = pool.start_run("debug:sleep", {"seconds": 1}, wait_s=50)
    elapsed_s = time.monotonic() - started
    # Then the waiting POST answers 200 with the completed run, before its wait ran out
    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    assert 1 <= elapsed_s < 50, elapsed_s
    report(f"a 1 s run waited for: answered after {elapsed_s:.2f} s")


def test_get_with_wait_returns_when_the_run_ends(pool: Pool) -> None:
    run = pool.start_run("debug:sleep", {"seconds": 1}).json()
    started = time.monotonic()
    response = pool.http.get(f"/v1/runs/{run['id']}", params={"wait": 50})
    assert response.status_code == 200 and response.json()["status"] == "completed"
    assert response.headers["Location"] == f"/v1/runs/{run['id']}"
    assert time.monotonic() - started < 50  # before the wait ran out


def test_wait_that_times_out_answers_with_the_running_run(pool: Pool) -> None:
    # Given a run of 2.5 s, and a caller that waits half a second
    started = time.monotonic()
    response = pool.start_run("debug:sleep", {"seconds": 2.5}, wait_s=0.5)
    # Then the answer, after the wait, is the run still going (a 202, not the 200 of an end)
    assert response.status_code == 202
    assert response.json()["status"] in ("open", "processing")
    assert time.monotonic() - started >= 0.5


def test_failed_run_with_fail_on_error_false_answers_200(pool: Pool) -> None:
    response = pool.http.post(
        "/v1/actions/debug:fail/runs?wait=20&failOnError=false",
        json={"input": {"mode": "nonRetryable"}},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "failed"


def test_idempotent_replay_returns_the_same_run_without_running_it_again(pool: Pool) -> None:
    # Given a completed run started with a key
    body = {"input": {"message": "once"}, "idempotencyKey": f"replay-{time.time_ns()}"}
    first = pool.http.post("/v1/actions/debug:log/runs?wait=20", json=body)
    assert first.status_code == 200
    # When the same request comes again
    again = pool.http.post("/v1/actions/debug:log/runs", json=body)
    # Then it is the same run, marked as a replay, executed once
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["attempt"] == 1
    events = pool.http.get(f"/v1/runs/{first.json()['id']}/events").json()
    assert [e["type"] for e in events].count("completion") == 1


def test_secrets_never_appear_in_the_run_or_its_events(pool: Pool) -> None:
    response = pool.start_run("debug:log", {"message": "hi"}, wait_s=20, secrets={"t": "s3cr3t-v"})
    assert response.status_code == 200
    run_id = response.json()["id"]
    assert "s3cr3t-v" not in response.text
    assert "s3cr3t-v" not in pool.http.get(f"/v1/runs/{run_id}").text
    assert "s3cr3t-v" not in pool.http.get(f"/v1/runs/{run_id}/events").text
