import json

from starlette.types import Message

from actionpool.api.limits import BodyLimitMiddleware
from tests.unit.api.asgi import echo_app, post


def call(chunks: list[bytes], content_length: int | None, limit: int = 10) -> list[Message]:
    headers = [] if content_length is None else [(b"content-length", str(content_length).encode())]
    return post(BodyLimitMiddleware(echo_app, max_body_bytes=limit), chunks, headers)


def test_body_within_the_limit_reaches_the_app_whole() -> None:
    # When a chunked body under the limit arrives
    sent = call([b"abc", b"def"], content_length=None)
    # Then the app gets all of it
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b"abcdef"


def test_declared_length_over_the_limit_is_refused_before_reading() -> None:
    # When Content-Length says the body is too large (nothing of it is read)
    sent = call([], content_length=11)
    # Then the answer is a Backstage-style 413
    assert sent[0]["status"] == 413
    body = json.loads(sent[1]["body"])
    assert body["error"]["name"] == "PayloadTooLargeError"
    assert body["response"]["statusCode"] == 413


def test_chunked_body_over_the_limit_is_refused() -> None:
    # When a body without Content-Length grows past the limit
    sent = call([b"123456", b"789012"], content_length=None)
    # Then it is refused
    assert sent[0]["status"] == 413
