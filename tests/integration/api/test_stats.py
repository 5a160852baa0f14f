"""`GET /v1/stats` through the real app and the real Redis."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from actionpool.api.settings import ApiSettings
from actionpool.worker.settings import PoolSettings
from tests.integration.api.conftest import serve

pytestmark = pytest.mark.anyio

CREATE = "template:default/create-service"
GROUP_FIELDS = {
    "key",
    "runs",
    "completed",
    "failed",
    "cancelled",
    "inFlight",
    "successRate",
    "durationP50S",
    "durationP95S",
    "retryRate",
    "meanTimeToRecoveryS",
}


async def test_stats_of_started_runs_per_template(http: httpx.AsyncClient) -> None:
    # Given two runs of one template and one without a template, not yet picked up by a worker
    for context in ({"templateRef": CREATE, "owner": "group:default/a"}, {"templateRef": CREATE}):
        body = {"input": {"message": "x"}, "context": context}
        assert (await http.post("/v1/actions/debug:log/runs", json=body)).status_code == 202
    await http.post("/v1/actions/debug:log/runs", json={"input": {"message": "y"}})
    # When the stats are asked for with the defaults
    response = await http.get("/v1/stats")
    # Then they cover the last 7 days, per template, with the null key for the bare run
    assert response.status_code == 200
    body = response.json()
    assert body["groupBy"] == "template" and body["truncated"] is False
    since, until = (datetime.fromisoformat(body[k]) for k in ("since", "until"))
    assert until - since == timedelta(days=7)
    assert [set(g) for g in body["groups"]] == [GROUP_FIELDS, GROUP_FIELDS]
    assert [(g["key"], g["runs"], g["inFlight"]) for g in body["groups"]] == [
        (CREATE, 2, 2),
        (None, 1, 1),
    ]
    assert body["groups"][0]["successRate"] is None


async def test_stats_per_owner_since_a_duration(http: httpx.AsyncClient) -> None:
    # Given a run of an owner
    body = {"input": {"message": "x"}, "context": {"owner": "group:default/a"}}
    await http.post("/v1/actions/debug:log/runs", json=body)
    # When the stats per owner of the last 30 minutes are asked for
    response = await http.get("/v1/stats", params={"groupBy": "owner", "since": "30m"})
    # Then the owner is the group
    assert response.status_code == 200
    assert response.json()["groupBy"] == "owner"
    assert [g["key"] for g in response.json()["groups"]] == ["group:default/a"]


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ({"groupBy": "team"}, "query.groupBy"),
        ({"since": "last week"}, "query.since"),
        ({"since": "2999-01-01T00:00:00Z"}, "query.since"),
    ],
)
async def test_a_bad_group_by_or_since_is_a_422_with_the_backstage_body(
    http: httpx.AsyncClient, query: dict[str, str], path: str
) -> None:
    # When the stats are asked for with a query that cannot be read
    response = await http.get("/v1/stats", params=query)
    # Then the answer is a 422 Backstage error naming the field
    assert response.status_code == 422
    body = response.json()
    assert body["error"]["name"] == "InputValidationError"
    assert [d["path"] for d in body["error"]["details"]] == [path]
    assert body["request"]["method"] == "GET"
    assert body["request"]["url"].startswith("/v1/stats?")
    assert body["response"] == {"statusCode": 422}


async def test_stats_without_redis_are_a_503(settings: PoolSettings) -> None:
    # Given an API whose Redis does not answer
    unreachable = settings.model_dump() | {"redis_url": "redis://127.0.0.1:1/0"}
    async with serve(ApiSettings(**unreachable)) as http:
        # When the stats are asked for
        response = await http.get("/v1/stats")
        # Then the answer is a 503 to retry
        assert response.status_code == 503
        assert response.json()["error"]["name"] == "StoreUnavailableError"
        assert response.headers["Retry-After"] == "5"
