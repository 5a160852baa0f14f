"""Pure decisions of http:request: retries, Retry-After, redirects (`policy.py`)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from actionpool.actions.builtin.http.policy import (
    is_cross_origin,
    is_expected,
    is_retry_safe,
    is_retryable_status,
    parse_retry_after,
    reached_server,
    redirect_headers,
    sends_idempotency_key,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])
def test_idempotent_methods_are_retried_without_a_key(method: str) -> None:
    assert is_retry_safe(method, keyed=False)


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_post_and_patch_are_retried_only_with_a_key(method: str) -> None:
    assert not is_retry_safe(method, keyed=False)
    assert is_retry_safe(method, keyed=True)


def test_the_key_is_sent_for_post_and_patch_unless_the_input_says_otherwise() -> None:
    assert sends_idempotency_key("POST", None) and sends_idempotency_key("PATCH", None)
    assert not sends_idempotency_key("GET", None)
    assert not sends_idempotency_key("POST", False)
    assert sends_idempotency_key("PUT", True)


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
        (501, False),
        (505, False),
        (400, False),
        (404, False),
        (409, False),
        (200, False),
        (302, False),
    ],
)
def test_429_and_the_curable_5xx_are_retryable(status: int, retryable: bool) -> None:
    assert is_retryable_status(status) is retryable


def test_any_2xx_is_expected_unless_the_input_lists_statuses() -> None:
    assert is_expected(200, None) and is_expected(204, None) and not is_expected(302, None)
    assert is_expected(404, [200, 404]) and not is_expected(200, [201])


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("Fri, 02 Jan 2026 03:04:35 GMT", 30.0),
        ("Fri, 02 Jan 2026 03:00:00 GMT", 0.0),  # in the past: now
        ("Friday, 02-Jan-26 03:05:05 GMT", 60.0),  # RFC 850, obsolete but allowed
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_seconds_or_an_http_date(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_only_errors_before_sending_are_known_not_to_have_reached_the_server() -> None:
    assert not reached_server(httpx.ConnectError("refused"))
    assert not reached_server(httpx.ConnectTimeout("slow connect"))
    assert not reached_server(httpx.PoolTimeout("no connection"))
    assert reached_server(httpx.ReadTimeout("slow answer"))
    assert reached_server(httpx.RemoteProtocolError("Server disconnected"))
    assert reached_server(httpx.WriteError("broken pipe"))


def test_a_redirect_to_another_origin_drops_the_templates_headers() -> None:
    # Given the headers of a request whose template set an API key
    headers = httpx.Headers({"X-Api-Key": "k-123456", "Accept": "application/json"})
    before = httpx.URL("https://api.example.com/a")
    # When it is redirected within its origin / Then every header stays
    same = httpx.URL("https://api.example.com/b")
    assert not is_cross_origin(before, same)
    assert redirect_headers(headers, {"x-api-key", "accept"}, False) == headers
    # When it is redirected elsewhere (another host, scheme or port)
    for other in (
        "https://cdn.example.com/b",
        "http://api.example.com/a",
        "https://api.example.com:8443/a",
    ):
        assert is_cross_origin(before, httpx.URL(other))
    kept = redirect_headers(headers, {"x-api-key"}, True)
    # Then the template's headers are dropped, the others kept
    assert "x-api-key" not in kept and kept["accept"] == "application/json"
