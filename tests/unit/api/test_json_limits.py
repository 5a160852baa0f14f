"""JSON bodies are held to their limits on their bytes, before anything parses them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.types import Message

from actionpool.actions.errors import MalformedRequestError, PayloadTooLargeError
from actionpool.api.limits import BodyLimitMiddleware, JsonLimits
from tests.unit.api.asgi import echo_app, post

LIMITS = JsonLimits(max_depth=4, max_items=20, max_string_bytes=300)


def nested(depth: int) -> Any:
    """`depth` objects and arrays inside one another, below the body's own object."""
    value: Any = 1
    for level in range(depth):
        value = {"a": value} if level % 2 else [value]
    return {"input": value} if depth else {"input": 1}


def body(value: Any) -> bytes:
    return json.dumps(value).encode()


@pytest.mark.parametrize(
    "value",
    [
        {},
        nested(3),
        {"input": {"k": "x" * 300}},
        {"input": [[], {}, [{}], "", [""]] + list(range(12))},  # 20 in all
        {"input": {"s": 'quotes " and \\ and [ { , inside "x" strings ' * 6}},
        [1, 2, 3],
        "just a string",
    ],
)
def test_bodies_within_every_limit_pass(value: Any) -> None:
    assert LIMITS.check(body(value)) is None
    assert LIMITS.check(json.dumps(value, indent=4).encode()) is None


def test_nesting_one_level_over_the_limit_is_a_400_naming_it() -> None:
    # Given a body nested one level deeper than allowed, its brackets padded far apart
    raw = json.dumps(nested(5), indent=8).encode()
    # When it is checked
    error = LIMITS.check(raw)
    # Then it is a malformed request whose message names the depth and the limit
    assert isinstance(error, MalformedRequestError)
    assert "5 deep" in error.message and "limit of 4" in error.message
    assert LIMITS.check(json.dumps(nested(4), indent=8).encode()) is None


def test_a_string_over_the_limit_is_a_413_however_it_is_escaped() -> None:
    # Given strings of 301 bytes as sent: plain, and made of escapes
    plain = b'{"input": {"k": "' + b"x" * 301 + b'"}}'
    escaped = b'{"input": {"k": "' + b'\\"' * 150 + b'x"}}'
    as_key = b'{"' + b"\\\\" * 150 + b'x": 1}'
    # Then each is refused as too large, naming the limit
    for raw in (plain, escaped, as_key):
        error = LIMITS.check(raw)
        assert isinstance(error, PayloadTooLargeError), raw[:40]
        assert "301 bytes" in error.message and "300 bytes per string" in error.message


def test_more_members_and_items_than_the_limit_is_a_413() -> None:
    # Given 21 items in all: 10 members, one of them an array of 11 items
    value = {f"k{i}": i for i in range(9)} | {"list": list(range(11))}
    error = LIMITS.check(body(value) + b" " * 400)  # long enough to be scanned
    # Then it is refused, with the count and the limit
    assert isinstance(error, PayloadTooLargeError)
    assert "21 object members and array items" in error.message
    assert "limit of 20" in error.message


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 5000,
        b"]" * 5000,
        b'"' * 5000,
        b"[]" * 5000,
        b'"\\"' * 5000,
        b"{" + b'"a":' * 5000,
        b"\\" * 5000,
    ],
)
def test_bytes_that_are_no_json_at_all_get_a_4xx_error_or_pass_to_the_parser(raw: bytes) -> None:
    # When a large body of brackets, quotes or escapes is checked, it is refused or left to
    # the JSON parser (which answers 400): never an exception
    error = LIMITS.check(raw)
    assert error is None or isinstance(error, (MalformedRequestError, PayloadTooLargeError))


def call(
    chunks: list[bytes], content_type: bytes | None = b"application/json", more: bool = False
) -> list[Message]:
    """The middleware's answer to a POST of these chunks (`more`: the client then stalls)."""
    headers = [] if content_type is None else [(b"content-type", content_type)]
    middleware = BodyLimitMiddleware(
        echo_app, max_body_bytes=10_000, json_limits=LIMITS, body_timeout_s=0.2
    )
    return post(middleware, chunks, headers, more=more)


def test_a_json_body_over_a_limit_never_reaches_the_app() -> None:
    # When a deep JSON body is posted
    sent = call([json.dumps(nested(9)).encode()])
    # Then the middleware answers a Backstage 400 and closes the connection
    assert sent[0]["status"] == 400
    assert (b"connection", b"close") in sent[0]["headers"]
    answer = json.loads(sent[1]["body"])
    assert answer["error"]["name"] == "MalformedRequestError"
    assert answer["response"] == {"statusCode": 400}


def test_a_body_that_is_not_json_is_left_to_the_app() -> None:
    # When the same bytes come as a form, they are not JSON's to judge (the app answers 415)
    raw = json.dumps(nested(9)).encode()
    sent = call([raw], content_type=b"application/x-www-form-urlencoded")
    assert sent[0]["status"] == 200
    assert call([raw], content_type=b"application/vnd.x+json")[0]["status"] == 400
    assert call([raw], content_type=None)[0]["status"] == 400


def test_a_body_that_stops_arriving_is_a_408() -> None:
    # When a client sends part of its body and then nothing
    sent = call([b'{"input": '], more=True)
    # Then the answer is a Backstage 408 naming the time limit, and the connection closes
    assert sent[0]["status"] == 408
    assert (b"connection", b"close") in sent[0]["headers"]
    answer = json.loads(sent[1]["body"])
    assert answer["error"] == {
        "name": "RequestTimeoutError",
        "message": "the request body did not arrive within 0.2 s",
    }
