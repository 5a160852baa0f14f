"""What http:request refuses before a run exists: the input model's checks, with the
operator's config from the validation context (the API answers them with 422)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from actionpool.actions.builtin.http import actions_of
from actionpool.actions.builtin.http.config import HttpConfig
from actionpool.actions.builtin.http.model import HttpRequestInput

ALLOW_LOOPBACK = HttpConfig(allowed_networks=("127.0.0.1/32",))


def errors_of(raw: dict[str, Any], config: HttpConfig | None = None) -> str:
    context = None if config is None else {"http": config}
    with pytest.raises(ValidationError) as caught:
        HttpRequestInput.model_validate(raw, context=context)
    return str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:8000/",
        "http://[::1]/",
        "http://0.0.0.0/",
        "http://2130706433/",
        "http://metadata.google.internal/",
    ],
)
def test_without_config_loopback_metadata_and_their_disguises_are_refused(url: str) -> None:
    # When the input names a non-public host and no config is in the context
    message = errors_of({"method": "GET", "url": url})
    # Then the default (secure) config refuses it, saying why
    assert "url" in message and "this URL may not be called" in message


def test_the_registered_action_reads_the_operators_config() -> None:
    # Given the action built for a config that allows loopback
    (action,) = actions_of(ALLOW_LOOPBACK)
    # Then 127.0.0.1 passes, but the metadata address still does not
    assert action.parse_input({"method": "get", "url": "http://127.0.0.1:9/x"}).method == "GET"
    with pytest.raises(ValidationError, match="cloud metadata"):
        action.parse_input({"method": "GET", "url": "http://169.254.169.254/"})
    # And the action built for the default config refuses loopback
    (default,) = actions_of(HttpConfig())
    with pytest.raises(ValidationError, match="loopback"):
        default.parse_input({"method": "GET", "url": "http://127.0.0.1:9/x"})


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("/relative/path", "must be absolute"),
        ("ftp://example.com/", "scheme 'ftp' is not allowed"),
        ("https://user:secret@example.com/", "credentials in the URL"),
        ("https://exa mple.com/", "is not a host name"),
        ("https://-bad-.example/", "is not a host name"),
        ("https://[::1/", "not a valid URL"),
        ("https://example.com:99999/", "is not a TCP port"),
    ],
)
def test_urls_that_are_not_absolute_http_are_refused(url: str, reason: str) -> None:
    assert reason in errors_of({"method": "GET", "url": url})


def test_json_and_body_are_exclusive() -> None:
    raw = {"method": "POST", "url": "https://example.com/", "json": {}, "body": "x"}
    assert "not both" in errors_of(raw)


def test_a_null_json_body_is_a_body() -> None:
    parsed = HttpRequestInput.model_validate(
        {"method": "POST", "url": "https://example.com/", "json": None}
    )
    assert parsed.has_json and parsed.content == b"null"


def test_the_request_body_is_capped_by_the_config() -> None:
    # Given a cap of 10 bytes
    config = HttpConfig(max_request_bytes=10)
    raw = {"method": "POST", "url": "https://example.com/"}
    # Then a 10-byte body passes and an 11-byte one is refused naming the cap
    HttpRequestInput.model_validate({**raw, "body": "x" * 10}, context={"http": config})
    assert "10-byte cap" in errors_of({**raw, "json": "x" * 9}, config)  # 11 bytes quoted


def test_the_timeout_is_bounded_by_the_config() -> None:
    raw = {"method": "GET", "url": "https://example.com/", "timeoutS": 30}
    assert "at most 20 s" in errors_of(raw, HttpConfig(max_timeout_s=20, default_timeout_s=5))
    assert "at most 300 s" in errors_of({**raw, "timeoutS": 301})


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Host": "internal.example"}, "set by the client"),
        ({"Content-Length": "5"}, "set by the client"),
        ({"Transfer-Encoding": "chunked"}, "set by the client"),
        ({"Bad Name": "x"}, "is not a header name"),
        ({"X-A": "one\r\nX-Injected: two"}, "CR, LF"),
        ({"Accept": "a", "accept": "b"}, "given twice"),
    ],
)
def test_headers_that_would_change_framing_or_inject_are_refused(
    headers: dict[str, str], reason: str
) -> None:
    assert reason in errors_of({"method": "GET", "url": "https://example.com/", "headers": headers})


def test_statuses_methods_and_unknown_fields_are_checked() -> None:
    base = {"method": "GET", "url": "https://example.com/"}
    errors_of({**base, "expectedStatuses": [700]})
    errors_of({**base, "expectedStatuses": []})
    errors_of({**base, "method": "TRACE"})
    errors_of({**base, "timeout": 5})  # Roadie's name: ours is timeoutS
