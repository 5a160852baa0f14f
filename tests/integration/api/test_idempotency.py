"""Idempotent enqueue through the real app and the real Redis: one key, one run."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from actionpool.worker.settings import PoolSettings
from tests.integration.conftest import Broker

pytestmark = pytest.mark.anyio


async def test_fifty_simultaneous_posts_with_one_key_make_one_run(
    http: httpx.AsyncClient, broker: Broker, settings: PoolSettings
) -> None:
    # Given 50 identical requests carrying one idempotency key
    body = {"input": {"message": "once"}, "idempotencyKey": "deploy-42"}
    # When they arrive at the same time
    responses = await asyncio.gather(
        *(http.post("/v1/actions/debug:log/runs", json=body) for _ in range(50))
    )
    # Then exactly one created the run (202) and 49 were replays (200) of that same run
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 49 + [202]
    assert len({r.json()["id"] for r in responses}) == 1
    assert all(
        r.headers.get("Idempotent-Replayed") == "true" for r in responses if r.status_code == 200
    )
    # And exactly one attempt message was published
    assert len(broker.messages()) == 1
    assert broker.client.zcard(f"{settings.key_prefix}runs:all") == 1


async def test_same_key_with_other_input_is_refused(http: httpx.AsyncClient) -> None:
    first = await http.post(
        "/v1/actions/debug:log/runs", json={"input": {"message": "a"}, "idempotencyKey": "k1"}
    )
    assert first.status_code == 202
    other = await http.post(
        "/v1/actions/debug:log/runs", json={"input": {"message": "b"}, "idempotencyKey": "k1"}
    )
    assert other.status_code == 422
    assert other.json()["error"]["name"] == "IdempotencyKeyReusedError"


async def test_backstage_task_and_step_deduplicate_without_a_key(http: httpx.AsyncClient) -> None:
    # Given a Backstage step that is re-executed after a task recovery
    body = {"input": {"message": "a"}, "context": {"taskId": "t-1", "stepId": "publish"}}
    first = await http.post("/v1/actions/debug:log/runs", json=body)
    again = await http.post("/v1/actions/debug:log/runs", json=body)
    # Then it lands on the same run
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.json()["id"] == again.json()["id"]


async def test_header_key_is_used_when_the_body_has_none(http: httpx.AsyncClient) -> None:
    body = {"input": {"message": "a"}}
    first = await http.post(
        "/v1/actions/debug:log/runs", json=body, headers={"Idempotency-Key": '"h-1"'}
    )
    again = await http.post(
        "/v1/actions/debug:log/runs", json=body, headers={"Idempotency-Key": "h-1"}
    )
    assert first.json()["id"] == again.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"


async def test_runs_without_a_key_are_independent(http: httpx.AsyncClient) -> None:
    body = {"input": {"message": "a"}}
    first = await http.post("/v1/actions/debug:log/runs", json=body)
    second = await http.post("/v1/actions/debug:log/runs", json=body)
    assert first.json()["id"] != second.json()["id"]


async def test_inputs_that_read_the_same_are_one_payload(http: httpx.AsyncClient) -> None:
    # Given a run keyed with an integer number of seconds
    first = await http.post(
        "/v1/actions/debug:sleep/runs", json={"input": {"seconds": 1}, "idempotencyKey": "n"}
    )
    # When the retry sends the same number as a float
    again = await http.post(
        "/v1/actions/debug:sleep/runs", json={"input": {"seconds": 1.0}, "idempotencyKey": "n"}
    )
    # Then it is the same payload for the action, so the same run
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
