"""`GET /v1/runs` through the real app and the real Redis: filters, pages, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.identity import PAYMENTS

pytestmark = pytest.mark.anyio

SERVICE = "template:default/service"


async def start(http: httpx.AsyncClient, **context: str) -> str:
    body = {"input": {"message": "x"}, "context": context}
    response = await http.post("/v1/actions/debug:log/runs", json=body)
    assert response.status_code == 202, response.text
    run_id: str = response.json()["id"]
    return run_id


async def listed(http: httpx.AsyncClient, query: str) -> list[str]:
    """Every run id the query lists, following `nextCursor`."""
    ids: list[str] = []
    cursor = ""
    while True:
        response = await http.get(f"/v1/runs?{query}{cursor}")
        assert response.status_code == 200, response.text
        body = response.json()
        ids += [run["id"] for run in body["items"]]
        if body["nextCursor"] is None:
            return ids
        cursor = f"&cursor={body['nextCursor']}"


async def test_runs_are_listed_newest_first_with_their_summary(http: httpx.AsyncClient) -> None:
    # Given two runs, one with a template, an owner, a task and a user
    first = await start(http)
    second = await start(
        http, templateRef=SERVICE, owner=PAYMENTS, taskId="task-1", userRef="user:default/a"
    )
    # When runs are listed
    response = await http.get("/v1/runs")
    # Then the newest comes first, as a summary that links to the whole run
    assert response.status_code == 200
    body = response.json()
    assert [run["id"] for run in body["items"]] == [second, first]
    assert body["nextCursor"] is None
    summary = body["items"][0]
    assert summary["status"] == "open" and summary["actionId"] == "debug:log"
    assert summary["context"]["templateRef"] == SERVICE and "input" not in summary
    assert summary["links"]["self"] == f"/v1/runs/{second}"
    assert summary["traceId"] is None or len(summary["traceId"]) == 32


async def test_each_query_filter_keeps_its_runs(http: httpx.AsyncClient) -> None:
    # Given a run with a full context and one with none
    full = await start(
        http, templateRef=SERVICE, owner=PAYMENTS, taskId="task-1", userRef="user:default/a"
    )
    bare = await start(http)
    # When each filter is asked; Then it keeps the run it names
    for query in (
        f"templateRef={SERVICE}",
        "owner=group:default/Payments",
        "taskId=task-1",
        "userRef=user:default/a",
    ):
        assert await listed(http, query) == [full], query
    assert await listed(http, "actionId=debug:log&status=open&status=failed") == [bare, full]
    assert await listed(http, "status=completed") == []
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    assert await listed(http, f"createdAfter={later}") == []
    assert await listed(http, f"createdBefore={later}") == [bare, full]


async def test_pages_follow_one_another(http: httpx.AsyncClient) -> None:
    # Given five runs
    made = [await start(http) for _ in range(5)]
    # When they are listed two per page
    # Then the pages hold each once, newest first
    assert await listed(http, "limit=2") == made[::-1]


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=501",
        "status=running",
        "cursor=not-one",
        "createdAfter=yesterday",
        "owner=",
    ],
)
async def test_a_bad_query_is_a_422_with_the_error_body(
    http: httpx.AsyncClient, query: str
) -> None:
    # When a listing is asked with a query it cannot take
    response = await http.get(f"/v1/runs?{query}")
    # Then it is refused with the Backstage error body
    assert response.status_code == 422, response.text
    assert set(response.json()["error"]) >= {"name", "message"}
