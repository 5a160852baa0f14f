"""The one table from failures to exit codes, and the API's error body as the message."""

from __future__ import annotations

import httpx
import pytest

from actionpool.console.http import CliError, Pool, error_of, exit_code_for


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (401, 4),
        (403, 4),
        (404, 3),
        (409, 5),
        (503, 6),
        (504, 6),
        (502, 6),
        (400, 1),
        (422, 1),
        (429, 1),
        (500, 1),
    ],  # fmt: skip
)
def test_each_status_has_its_exit_code(status: int, code: int) -> None:
    assert exit_code_for(status) == code


def test_the_apis_error_body_is_the_message() -> None:
    body = {"error": {"name": "RunNotFoundError", "message": "No run with id 'x'"}}
    error = error_of(httpx.Response(404, json=body))
    assert (error.exit_code, str(error)) == (3, "RunNotFoundError: No run with id 'x'")


def test_an_answer_without_the_error_body_is_named_by_its_status() -> None:
    error = error_of(httpx.Response(502, text="<html>bad gateway</html>"))
    assert (error.exit_code, str(error)) == (6, "HTTP 502 Bad Gateway")


def test_a_pool_that_cannot_be_reached_is_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    pool = Pool("http://pool", "t", transport=httpx.MockTransport(refuse))
    with pytest.raises(CliError) as raised:
        pool.get("/v1/runs")
    assert raised.value.exit_code == 6
    assert str(raised.value) == "PoolUnavailableError: http://pool: connection refused"


def test_the_token_is_sent_as_a_bearer() -> None:
    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(200, json=[])

    assert Pool("http://pool", "s3cret", transport=httpx.MockTransport(answer)).get("/x") == []
    assert Pool("http://pool", None, transport=httpx.MockTransport(answer)).get("/x") == []
    assert seen == ["Bearer s3cret", None]


def test_an_answer_that_is_not_json_is_not_the_pools() -> None:
    def page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>a login page</html>")

    with pytest.raises(CliError) as raised:
        Pool("http://proxy", None, transport=httpx.MockTransport(page)).get("/v1/runs")
    assert raised.value.exit_code == 1
    assert str(raised.value).startswith("NotThePoolError: GET http://proxy/v1/runs answered 200")
