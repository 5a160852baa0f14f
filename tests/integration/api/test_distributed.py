"""Backstage's actions-registry protocol through the real app on the real Redis (no worker:
these runs never end, which is what the invoke's wait limit is about)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from actionpool.api.settings import ApiSettings
from actionpool.worker.settings import PoolSettings
from tests.integration.api.conftest import serve
from tests.integration.conftest import Broker

pytestmark = pytest.mark.anyio

LISTING = "/.backstage/actions/v1/actions"


@pytest.fixture
async def pool(settings: PoolSettings) -> AsyncIterator[httpx.AsyncClient]:
    api = ApiSettings(**settings.model_dump(), invoke_wait_s=0.3, plugin_id="platform-pool")
    async with serve(api) as client:
        yield client


def invoke_url(listed_id: str) -> str:
    return f"{LISTING}/{listed_id.replace(':', '%3A')}/invoke"


async def test_the_listing_names_each_action_under_the_plugin_id(pool: httpx.AsyncClient) -> None:
    # When Backstage asks for the pool's actions
    listed = (await pool.get(LISTING)).json()["actions"]
    # Then each pool action is <pluginId>:<its id with dots>, with schemas and attributes
    sleep = next(a for a in listed if a["name"] == "debug.sleep")
    assert sleep["id"] == "platform-pool:debug.sleep"
    assert sleep["title"] == "debug:sleep"
    assert sleep["attributes"] == {"readOnly": True, "destructive": False, "idempotent": True}
    assert "seconds" in sleep["schema"]["input"]["properties"]
    assert "sleptS" in sleep["schema"]["output"]["properties"]
    # And the input schema offers the reserved context property, never required
    context = sleep["schema"]["input"]["properties"]["actionpool"]
    assert {"taskId", "stepId", "templateRef", "owner", "idempotencyKey"} <= set(
        context["properties"]
    )
    assert "actionpool" not in sleep["schema"]["input"].get("required", [])


async def test_a_run_that_outlasts_the_wait_answers_504_naming_it_and_a_retry_finds_it(
    pool: httpx.AsyncClient, broker: Broker
) -> None:
    # Given an invoke whose run cannot end (no worker here) carrying the task's context
    body = {"seconds": 1, "actionpool": {"taskId": "t-1", "stepId": "sleep", "owner": "x"}}
    # When it is invoked, and invoked again as a retried task would
    first = await pool.post(invoke_url("platform-pool:debug.sleep"), json=body)
    again = await pool.post(invoke_url("platform-pool:debug.sleep"), json=body)
    # Then both answer 504 RunStillProcessingError naming one and the same run
    assert first.status_code == again.status_code == 504, first.text
    error = first.json()["error"]
    assert error["name"] == "RunStillProcessingError"
    run_id = first.json()["run"]["id"]
    assert run_id in error["message"] and first.headers["Retry-After"]
    assert again.json()["run"]["id"] == run_id
    # And the run carries the context and was put on its queue once
    run = (await pool.get(f"/v1/runs/{run_id}")).json()
    assert (run["context"]["taskId"], run["context"]["stepId"]) == ("t-1", "sleep")
    assert run["input"] == {"seconds": 1}
    assert len(broker.messages()) == 1


async def test_unknown_or_foreign_ids_are_404_and_a_bad_context_is_422(
    pool: httpx.AsyncClient,
) -> None:
    unknown = await pool.post(invoke_url("platform-pool:debug.nope"), json={})
    foreign = await pool.post(invoke_url("actionpool:debug.sleep"), json={"seconds": 1})
    bad = await pool.post(
        invoke_url("platform-pool:debug.sleep"), json={"seconds": 1, "actionpool": {"x": 1}}
    )
    assert (unknown.status_code, foreign.status_code, bad.status_code) == (404, 404, 422)
    assert unknown.json()["error"]["name"] == "UnknownActionError"
    assert bad.json()["error"]["details"][0]["path"] == "actionpool.x"


async def test_the_action_input_is_validated_without_the_context(
    pool: httpx.AsyncClient,
) -> None:
    answer = await pool.post(
        invoke_url("platform-pool:debug.sleep"), json={"seconds": -1, "actionpool": {}}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["name"] == "InputValidationError"


async def test_the_protocol_needs_a_credential(settings: PoolSettings) -> None:
    async with serve(ApiSettings(**settings.model_dump()), headers={}) as anonymous:
        listed = await anonymous.get(LISTING)
        invoked = await anonymous.post(invoke_url("actionpool:debug.log"), json={})
    assert (listed.status_code, invoked.status_code) == (401, 401)
