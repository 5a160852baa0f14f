"""`Plan`: what one `http:request` run sends and how it judges the answers, derived once from
its input, its context and the operator's config."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import httpx

from actionpool.actions.builtin.http.config import HttpConfig
from actionpool.actions.builtin.http.model import HttpRequestInput, is_header_value
from actionpool.actions.builtin.http.policy import (
    IDEMPOTENCY_HEADER,
    has_header,
    is_retry_safe,
    sends_idempotency_key,
)
from actionpool.actions.builtin.http.target import display_url
from actionpool.actions.context import ActionContext
from actionpool.actions.errors import NonRetryableActionError
from actionpool.actions.redaction import Redactor

IDEMPOTENCY_PURPOSE = "http:request"
PUBLIC_HEADERS = frozenset(
    {"accept", "accept-encoding", "accept-language", "cache-control", "content-type"}
    | {"if-match", "if-none-match", "if-modified-since", "prefer", "user-agent"}
    | {"x-github-api-version", "x-request-id", "idempotency-key"}
)
"""Headers whose values are masked nowhere: every other value the template set is treated
as a credential in whatever the action writes (log lines, errors, spans)."""


@dataclasses.dataclass(frozen=True)
class Plan:
    method: str
    url: httpx.URL
    headers: dict[str, str]
    content: bytes | None
    template_headers: frozenset[str]
    """Lower-case names of the headers the template set (dropped on a cross-origin hop)."""
    keyed: bool
    timeout_s: float
    follow_redirects: bool
    expected_statuses: tuple[int, ...] | None
    continue_on_bad_response: bool
    redactor: Redactor
    config: HttpConfig

    @property
    def retry_safe(self) -> bool:
        return is_retry_safe(self.method, self.keyed)

    @property
    def shown_url(self) -> str:
        return self.redact(display_url(self.url))

    def redact(self, text: str) -> str:
        return self.redactor.redact(text)


def plan_of(input: HttpRequestInput, ctx: ActionContext, config: HttpConfig) -> Plan:
    """What the run sends; raises `NonRetryableActionError` for a secret header whose secret
    the run was not given."""
    headers = {**input.headers, **secret_headers_of(input, ctx.secrets)}
    if input.has_json and not has_header(headers, "content-type"):
        headers["Content-Type"] = "application/json"
    elif input.body is not None and not has_header(headers, "content-type"):
        headers["Content-Type"] = "text/plain; charset=utf-8"
    keyed = has_header(headers, IDEMPOTENCY_HEADER)  # the template's own key counts
    if not keyed and sends_idempotency_key(input.method, input.send_idempotency_key):
        headers[IDEMPOTENCY_HEADER] = ctx.idempotency_key(IDEMPOTENCY_PURPOSE)
        keyed = True
    hidden = [v for k, v in input.headers.items() if k.lower() not in PUBLIC_HEADERS]
    secret_names = list(input.secret_headers)
    return Plan(
        method=input.method,
        url=httpx.URL(input.url).copy_merge_params(input.params),
        headers=headers,
        content=input.content,
        template_headers=frozenset(name.lower() for name in [*input.headers, *secret_names]),
        keyed=keyed,
        timeout_s=input.timeout_s or config.default_timeout_s,
        follow_redirects=input.follow_redirects,
        expected_statuses=tuple(input.expected_statuses) if input.expected_statuses else None,
        continue_on_bad_response=input.continue_on_bad_response,
        redactor=Redactor([*ctx.secrets.values(), *hidden]),
        config=config,
    )


def secret_headers_of(input: HttpRequestInput, secrets: Mapping[str, str]) -> dict[str, str]:
    """The `secretHeaders` with their values taken from the run's secrets."""
    missing = sorted({h.secret for h in input.secret_headers.values()} - secrets.keys())
    if missing:
        raise NonRetryableActionError(
            f"secretHeaders name secret(s) {missing} the run was not given (send them in the "
            "run's secrets)"
        )
    headers = {name: h.prefix + secrets[h.secret] for name, h in input.secret_headers.items()}
    unsendable = sorted(
        h.secret for name, h in input.secret_headers.items() if not is_header_value(headers[name])
    )
    if unsendable:  # named, never shown: the value is the secret
        raise NonRetryableActionError(
            f"secret(s) {unsendable} cannot be sent as a header value: a CR, LF or NUL, or a "
            "character outside Latin-1 (a trailing newline from a file, say)"
        )
    return headers
