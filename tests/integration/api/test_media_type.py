"""A run's body is JSON: any other Content-Type is a 415 that names the header to send."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio

BODY = b'{"input": {"message": "x"}}'


@pytest.mark.parametrize(
    ("content_type", "said"),
    [
        ("application/x-www-form-urlencoded", "said Content-Type: application/x-www-form"),
        ("text/plain", "said Content-Type: text/plain"),
        ("application/xml", "said Content-Type: application/xml"),
        (None, "sent no Content-Type"),
    ],
)
async def test_a_body_not_sent_as_json_is_a_415_naming_the_header(
    http: httpx.AsyncClient, content_type: str | None, said: str
) -> None:
    # When a run is posted with a JSON body but another Content-Type (curl -d sends a form's),
    # or none
    headers = {"content-type": content_type} if content_type else {}
    response = await http.post("/v1/actions/debug:log/runs", content=BODY, headers=headers)
    # Then the answer says which header to send, with the Backstage error body
    assert response.status_code == 415
    body = response.json()
    assert body["error"]["name"] == "UnsupportedMediaTypeError"
    assert "Content-Type: application/json" in body["error"]["message"]
    assert said in body["error"]["message"]
    assert body["response"] == {"statusCode": 415}


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/x+json"])
async def test_a_json_body_is_read_as_json(http: httpx.AsyncClient, content_type: str) -> None:
    headers = {"content-type": content_type}
    response = await http.post("/v1/actions/debug:log/runs", content=BODY, headers=headers)
    assert response.status_code == 202, response.text
