"""The input and output of `http:request`. Everything that can be refused without DNS is
refused here, so the API answers 422 before a run exists; the operator's `HttpConfig` comes
from the validation context (`info.context["http"]`)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import Field, JsonValue, ValidationInfo, field_validator, model_validator

from actionpool.actions.builtin.http.config import HttpConfig
from actionpool.actions.builtin.http.target import parse_url, url_refusal
from actionpool.actions.model import ActionModel

Method = Literal["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]
Status = Annotated[int, Field(ge=100, le=599)]
QueryScalar = str | int | float | bool
TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
"""RFC 9110 §5.6.2: what a header name is made of."""
MAX_HEADERS = 100
MAX_HEADER_VALUE_CHARS = 8_192
FORBIDDEN_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "te"}
    | {"trailer", "upgrade", "proxy-authorization", "proxy-connection"}
)
"""Set by the client itself: a template may not change framing, the connection or the Host
the checked name is reached under."""


def config_of(info: ValidationInfo) -> HttpConfig:
    """The operator's config from the validation context, else the secure default."""
    context = info.context if isinstance(info.context, dict) else {}
    config = context.get("http")
    return config if isinstance(config, HttpConfig) else HttpConfig()


class SecretHeader(ActionModel):
    """A header whose value is one of the run's secrets, so that it is never part of the
    run's stored input."""

    secret: str = Field(
        min_length=1, max_length=200, description="The name of the secret in the run's secrets"
    )
    prefix: str = Field(
        default="",
        max_length=100,
        pattern=r"^[^\r\n\x00]*$",
        description='Put before the secret, such as "Bearer "',
    )


class HttpRequestInput(ActionModel):
    method: Method = Field(description="The HTTP method (GET, HEAD, OPTIONS, POST, PUT, ...)")
    url: str = Field(
        max_length=8_192,
        description="Absolute http(s) URL to call; its host must be allowed by the pool",
    )
    headers: dict[str, str] = Field(
        default_factory=dict,
        max_length=MAX_HEADERS,
        description="Request headers; their values never appear in logs",
    )
    secret_headers: dict[str, SecretHeader] = Field(
        default_factory=dict,
        max_length=MAX_HEADERS,
        description="Headers whose values come from the run's secrets, by secret name (e.g. "
        '{"Authorization": {"secret": "apiToken", "prefix": "Bearer "}}): the token stays out '
        "of the run's input, which the pool stores and shows",
    )
    params: dict[str, QueryScalar | list[QueryScalar]] = Field(
        default_factory=dict,
        max_length=MAX_HEADERS,
        description="Query parameters added to the URL's own (a list repeats the name)",
    )
    json_body: JsonValue = Field(
        default=None,
        alias="json",
        description="A JSON body (any JSON value); Content-Type defaults to application/json",
    )
    body: str | None = Field(
        default=None, description="A text body (not with json); Content-Type defaults to text"
    )
    expected_statuses: list[Status] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Statuses that mean success (default: any 2xx); others fail the step",
    )
    continue_on_bad_response: bool = Field(
        default=False,
        description="Return an unexpected status as output instead of failing (as Roadie's)",
    )
    timeout_s: float | None = Field(
        default=None,
        gt=0,
        title="Timeout (seconds)",
        description="Seconds one try may take, redirects included (default: the pool's, 60)",
    )
    follow_redirects: bool = Field(
        default=False,
        description="Follow 3xx redirects (each hop must pass the host checks again)",
    )
    send_idempotency_key: bool | None = Field(
        default=None,
        description="Send the run's Idempotency-Key header (default: for POST and PATCH); "
        "with it a POST or PATCH is retried",
    )

    @field_validator("method", mode="before")
    @classmethod
    def _upper_case(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("url")
    @classmethod
    def _url_allowed(cls, value: str, info: ValidationInfo) -> str:
        refusal = url_refusal(parse_url(value), config_of(info))
        if refusal is not None:
            raise ValueError(f"this URL may not be called: {refusal}")
        return value

    @field_validator("headers")
    @classmethod
    def _headers_valid(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if len(value) > MAX_HEADER_VALUE_CHARS or not is_header_value(value):
                raise ValueError(
                    f"the value of header {name!r} is too long, has CR, LF or NUL, or a "
                    "character outside Latin-1"
                )
        _check_header_names(headers)
        return headers

    @field_validator("secret_headers")
    @classmethod
    def _secret_headers_valid(cls, headers: dict[str, SecretHeader]) -> dict[str, SecretHeader]:
        _check_header_names(headers)
        return headers

    @field_validator("timeout_s")
    @classmethod
    def _timeout_bounded(cls, value: float | None, info: ValidationInfo) -> float | None:
        limit = config_of(info).max_timeout_s
        if value is not None and value > limit:
            raise ValueError(f"at most {limit:g} s (ACTIONPOOL_HTTP__MAX_TIMEOUT_S)")
        return value

    @model_validator(mode="after")
    def _one_body_within_cap(self, info: ValidationInfo) -> HttpRequestInput:
        both = {n.lower() for n in self.headers} & {n.lower() for n in self.secret_headers}
        if both:
            raise ValueError(f"header(s) {sorted(both)} given in headers and in secretHeaders")
        if self.has_json and self.body is not None:
            raise ValueError("give the body as json or as body, not both")
        limit = config_of(info).max_request_bytes
        size = len(self.content or b"")
        if size > limit:
            raise ValueError(
                f"the body is {size} bytes, more than the {limit}-byte cap "
                "(ACTIONPOOL_HTTP__MAX_REQUEST_BYTES)"
            )
        return self

    @property
    def has_json(self) -> bool:
        """Whether `json` was given (null is a JSON body too)."""
        return "json_body" in self.model_fields_set

    @property
    def content(self) -> bytes | None:
        """The body's bytes, None without a body."""
        if self.has_json:
            return json.dumps(self.json_body, separators=(",", ":")).encode()
        return None if self.body is None else self.body.encode()


def is_header_value(value: str) -> bool:
    """Whether HTTP can carry `value` as a header value: Latin-1, no CR, LF or NUL."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return not any(c in value for c in "\r\n\0")


def _check_header_names(names: Iterable[str]) -> None:
    seen: set[str] = set()
    for name in names:
        lower = name.lower()
        if not TOKEN.fullmatch(name):
            raise ValueError(f"{name!r} is not a header name")
        if lower in FORBIDDEN_HEADERS:
            raise ValueError(f"header {name!r} is set by the client and may not be given")
        if lower in seen:
            raise ValueError(f"header {name!r} is given twice (names ignore case)")
        seen.add(lower)


class HttpResponseOutput(ActionModel):
    code: int = Field(description="The response's status; 0 when a dry run did not send it")
    headers: dict[str, str] = Field(
        description="The response's headers, names in lower case, repeated ones joined by ', '"
    )
    body: JsonValue = Field(
        description="The body parsed when the response is JSON, else {message: <text>}"
    )
