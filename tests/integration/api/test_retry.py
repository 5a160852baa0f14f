"""`POST /v1/runs/{id}/retry` over HTTP: 202 with the reopened run, 409 for a run that has
not ended or completed, 422 for a run whose secrets must be sent again, an idempotent replay
with the same `Idempotency-Key`, and Backstage-style error bodies throughout."""

from __future__ import annotations

import httpx
import pytest

from actionpool.worker.execution.executor import Executor

pytestmark = pytest.mark.anyio


async def failed_run(http: httpx.AsyncClient, executor: Executor, **body: object) -> str:
    """A `debug:fail` run that failed for good (its one attempt run by `executor`)."""
    response = await http.post(
        "/v1/actions/debug:fail/runs", json={"input": {"mode": "nonRetryable"}, **body}
    )
    assert response.status_code == 202, response.text
    run_id: str = response.json()["id"]
    assert executor.run_attempt(run_id, 1, "default") == "failed"
    return run_id


async def test_a_failed_run_is_reopened_and_then_completes(
    http: httpx.AsyncClient, executor: Executor
) -> None:
    # Given a run that failed
    run_id = await failed_run(http, executor)
    # When it is retried
    response = await http.post(f"/v1/runs/{run_id}/retry")
    # Then it is accepted: the same run, open, with its next attempt to come
    assert response.status_code == 202, response.text
    run = response.json()
    assert (run["id"], run["status"], run["attempt"], run["error"]) == (run_id, "open", 1, None)
    assert response.headers["Location"] == f"/v1/runs/{run_id}"
    # And its next attempt runs (this one fails again: the action always does)
    assert executor.run_attempt(run_id, 2, "default") == "failed"
    shown = (await http.get(f"/v1/runs/{run_id}")).json()
    assert [a["number"] for a in shown["attempts"]] == [1, 2]


async def test_a_run_still_open_is_a_409(http: httpx.AsyncClient) -> None:
    # Given a run waiting on its queue
    created = await http.post("/v1/actions/debug:log/runs", json={"input": {"message": "x"}})
    run_id = created.json()["id"]
    # When it is retried, Then a 409 says why, in Backstage's error shape
    response = await http.post(f"/v1/runs/{run_id}/retry", json={})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["name"] == "RunNotRetryableError"
    assert "is open" in error["message"]


async def test_the_same_idempotency_key_answers_with_the_same_retry(
    http: httpx.AsyncClient, executor: Executor
) -> None:
    # Given a failed run, retried with a key
    run_id = await failed_run(http, executor)
    headers = {"Idempotency-Key": "oncall-retry-1"}
    first = await http.post(f"/v1/runs/{run_id}/retry", headers=headers)
    # When the same request is sent again
    again = await http.post(f"/v1/runs/{run_id}/retry", headers=headers)
    # Then both are 202 for the one retry (the run is open, not refused as such)
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["status"] == "open" and again.json()["attempt"] == 1


async def test_a_run_started_with_secrets_needs_them_sent_again(
    http: httpx.AsyncClient, executor: Executor
) -> None:
    # Given a failed run that was started with a secret
    run_id = await failed_run(http, executor, secrets={"token": "t0ken-value"})
    # When it is retried without it, Then a 422 says to send it again
    refused = await http.post(f"/v1/runs/{run_id}/retry")
    assert refused.status_code == 422
    assert "secrets" in refused.json()["error"]["message"]
    assert "t0ken-value" not in refused.text
    # And with it, the retry is accepted and the secret never shows
    accepted = await http.post(f"/v1/runs/{run_id}/retry", json={"secrets": {"token": "t2"}})
    assert accepted.status_code == 202
    assert "t2" not in accepted.json().get("secrets", "")


@pytest.mark.parametrize(
    ("path", "kwargs", "status", "name"),
    [
        ("/v1/runs/not-a-uuid/retry", {}, 404, "RunNotFoundError"),
        (
            "/v1/runs/00000000-0000-4000-8000-000000000000/retry",
            {},
            404,
            "RunNotFoundError",
        ),
        (None, {"json": {"secrets": {"token": 1}}}, 422, "InputValidationError"),
        (None, {"json": {"unknown": True}}, 422, "InputValidationError"),
        (None, {"content": b"secrets=1", "headers": {"Content-Type": "text/plain"}}, 415, None),
        (None, {"headers": {"Idempotency-Key": "bad key!"}}, 400, "MalformedRequestError"),
    ],
)
async def test_bad_requests_get_backstage_errors(
    http: httpx.AsyncClient,
    executor: Executor,
    path: str | None,
    kwargs: dict[str, object],
    status: int,
    name: str | None,
) -> None:
    # Given a failed run (or no run at all)
    target = path or f"/v1/runs/{await failed_run(http, executor)}/retry"
    # When a malformed retry is sent
    response = await http.post(target, **kwargs)  # type: ignore[arg-type]
    # Then it is refused with the Backstage error body, and the run stays failed
    assert response.status_code == status, response.text
    assert set(response.json()["error"]) >= {"name", "message"}
    if name is not None:
        assert response.json()["error"]["name"] == name
    if path is None:
        run_id = target.split("/")[3]
        assert (await http.get(f"/v1/runs/{run_id}")).json()["status"] == "failed"
