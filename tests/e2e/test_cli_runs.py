"""`actionpool runs ls | show | logs | cancel | retry` as real processes against a real API
and worker: what an operator sees, and the exit codes scripts rely on."""

from __future__ import annotations

import json
import signal
import uuid

import pytest
import yaml

from actionpool.devstack import free_port
from tests.e2e.cliprocess import run_cli, running_cli
from tests.e2e.conftest import Pool

pytestmark = pytest.mark.e2e


def team() -> str:
    return f"group:default/cli-{uuid.uuid4().hex[:8]}"


def start(pool: Pool, action: str, input: dict, owner: str | None = None) -> str:  # type: ignore[type-arg]
    context = {"owner": owner, "templateRef": "template:default/cli"} if owner else {}
    response = pool.start_run(action, input, context=context)
    assert response.status_code == 202, response.text
    run_id: str = response.json()["id"]
    return run_id


def failed_run(pool: Pool, owner: str | None = None) -> str:
    run_id = start(pool, "debug:fail", {"mode": "nonRetryable"}, owner)
    assert pool.wait_run(run_id, failOnError="false")["status"] == "failed"
    return run_id


def wait_processing(pool: Pool, run_id: str) -> None:
    """Until the run's first log line is written: it is processing (long-poll of events)."""
    while not [e for e in pool.http.get(f"/v1/runs/{run_id}/events").json() if "slept" in str(e)]:
        pool.http.get(f"/v1/runs/{run_id}", params={"wait": 0.2})


def test_ls_finds_exactly_the_failed_run_of_a_team(pool: Pool) -> None:
    # Given a failed and a completed run of team X, and a failed run of another team
    x, other = team(), team()
    failed = failed_run(pool, x)
    pool.wait_run(start(pool, "debug:log", {"message": "fine"}, x))
    failed_run(pool, other)
    # When the failed runs of team X from the last hour are listed as JSON
    result = run_cli(pool.url, "runs", "ls", "--status", "failed", "--owner", x, "--since", "1h",
                     "-o", "json")  # fmt: skip
    # Then exactly that run is found
    assert result.returncode == 0, result.stderr
    assert [run["id"] for run in json.loads(result.stdout)["items"]] == [failed]
    # And the table names it with its status
    table = run_cli(pool.url, "runs", "ls", "--owner", x, "--status", "failed")
    assert failed in table.stdout and "failed" in table.stdout and "debug:fail" in table.stdout


def test_show_of_a_failed_run_shows_its_error_and_attempts(pool: Pool) -> None:
    # Given a failed run, created within a trace
    trace = uuid.uuid4().hex
    context = {"owner": team(), "traceparent": f"00-{trace}-{uuid.uuid4().hex[:16]}-01"}
    run_id = pool.start_run("debug:fail", {"mode": "nonRetryable"}, context=context).json()["id"]
    assert pool.wait_run(run_id, failOnError="false")["status"] == "failed"
    # When it is shown
    result = run_cli(pool.url, "runs", "show", run_id)
    # Then its status, error, attempt and trace id are shown, and showing it succeeded
    assert result.returncode == 0, result.stderr
    run = pool.http.get(f"/v1/runs/{run_id}").json()
    assert f"{run['error']['name']}: {run['error']['message']}" in result.stdout
    assert run["attempts"][0]["worker"] in result.stdout
    assert run["traceparent"].split("-")[1] == trace and trace in result.stdout
    assert f"{pool.url}/v1/runs/{run_id}/events" in result.stdout


def test_show_as_yaml_is_the_runs_json(pool: Pool) -> None:
    run_id = failed_run(pool)
    result = run_cli(pool.url, "runs", "show", run_id, "-o", "yaml")
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout) == pool.http.get(f"/v1/runs/{run_id}").json()


def test_logs_follow_prints_lines_as_they_come_and_returns_at_the_end(pool: Pool) -> None:
    # Given a run that logs once a second for 2.5 s
    run_id = start(pool, "debug:sleep", {"seconds": 2.5})
    # When its log is followed
    with running_cli(pool.url, "runs", "logs", run_id, "-f") as follower:
        assert follower.stdout is not None and follower.stderr is not None
        # Then its first line is printed while the run is still going
        line = follower.stdout.readline()
        while "slept" not in line:
            assert line, follower.stderr.read()
            line = follower.stdout.readline()
        assert pool.http.get(f"/v1/runs/{run_id}").json()["status"] == "processing"
        # And the command returns once the run has ended, with its end as the last line
        rest = follower.stdout.read()
        assert follower.wait(60) == 0, follower.stderr.read()
    assert rest.splitlines()[-1].split()[1:3] == ["completion", "Run"]
    assert "slept 3 of 2.5 s" in rest


def test_logs_lists_the_events_so_far(pool: Pool) -> None:
    run_id = start(pool, "debug:log", {"message": "hello from the cli test"})
    pool.wait_run(run_id)
    events = json.loads(run_cli(pool.url, "runs", "logs", run_id, "-o", "json").stdout)
    assert events == pool.http.get(f"/v1/runs/{run_id}/events").json()
    assert "hello from the cli test" in run_cli(pool.url, "runs", "logs", run_id).stdout


def test_cancel_stops_a_running_run_and_a_second_cancel_of_an_ended_one_conflicts(
    pool: Pool,
) -> None:
    # Given a running run
    run_id = start(pool, "debug:sleep", {"seconds": 2.5})
    wait_processing(pool, run_id)
    # When it is cancelled
    result = run_cli(pool.url, "runs", "cancel", run_id)
    # Then it is asked to stop, and ends cancelled
    assert result.returncode == 0, result.stderr
    assert f"run {run_id}" in result.stdout
    assert pool.wait_run(run_id, failOnError="false")["status"] == "cancelled"
    # And a completed run cannot be cancelled: a conflict, exit 5, with the API's error
    done = start(pool, "debug:log", {"message": "x"})
    pool.wait_run(done)
    refused = run_cli(pool.url, "runs", "cancel", done)
    assert refused.returncode == 5
    assert refused.stderr.startswith("Error: RunAlreadyEndedError: ")


def test_retry_of_a_failed_run_runs_it_again_until_it_completes(pool: Pool) -> None:
    # Given a run that failed all its 3 attempts (the 4th would succeed)
    run_id = start(pool, "debug:fail", {"mode": "retryable", "failAttempts": 3})
    assert pool.wait_run(run_id, failOnError="false")["status"] == "failed"
    # When it is retried, waiting for its end
    result = run_cli(pool.url, "runs", "retry", run_id, "--wait", "-o", "json")
    # Then it ran again and completed
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)
    assert (run["id"], run["status"], run["attempt"]) == (run_id, "completed", 4)
    # And a completed run is not retried: a conflict, exit 5
    again = run_cli(pool.url, "runs", "retry", run_id)
    assert again.returncode == 5
    assert again.stderr.startswith("Error: RunNotRetryableError: ")


def test_watch_prints_each_change_of_the_runs(pool: Pool) -> None:
    # Given a watch of team X's runs
    x = team()
    command = ("runs", "ls", "--owner", x, "--watch", "--interval", "0.3", "-o", "json")
    with running_cli(pool.url, *command) as watcher:
        assert watcher.stdout is not None and watcher.stderr is not None
        # When a run of team X is started and completes
        run_id = start(pool, "debug:log", {"message": "watched"}, x)
        # Then the watch prints it as it changes, until it shows it completed
        seen: list[str] = []
        while "completed" not in seen:
            line = watcher.stdout.readline()
            assert line, watcher.stderr.read()
            run = json.loads(line)
            assert run["id"] == run_id
            seen.append(run["status"])
        # And Ctrl-C ends it quietly
        watcher.send_signal(signal.SIGINT)
        assert watcher.wait(30) == 0, watcher.stderr.read()
        assert "Traceback" not in watcher.stderr.read()


def test_an_unknown_run_exits_3(pool: Pool) -> None:
    result = run_cli(pool.url, "runs", "show", str(uuid.uuid4()))
    assert result.returncode == 3
    assert result.stderr.startswith("Error: RunNotFoundError: ")
    assert "Traceback" not in result.stderr


def test_a_bad_token_exits_4(pool: Pool) -> None:
    result = run_cli(pool.url, "runs", "ls", token="apt_not-a-token")
    assert result.returncode == 4
    assert result.stderr.startswith("Error: AuthenticationError: ")


def test_a_pool_that_is_down_exits_6() -> None:
    result = run_cli(f"http://127.0.0.1:{free_port()}", "runs", "ls")
    assert result.returncode == 6
    assert result.stderr.startswith("Error: PoolUnavailableError: ")
    assert "Traceback" not in result.stderr


def test_no_pool_url_is_a_usage_error_that_says_where_to_put_one() -> None:
    result = run_cli("", "runs", "ls")
    assert result.returncode == 2
    assert "ACTIONPOOL_URL" in result.stderr
