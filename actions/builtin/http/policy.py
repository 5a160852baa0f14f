"""Pure decisions of `http:request`: what may be retried, how long a server asks us to wait,
what a redirect keeps, what counts as an expected answer."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
"""RFC 9110 §9.2.2: sending one of these twice has the effect of sending it once."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""RFC 9110 §9.2.1: read-only; the only methods a dry run sends (as Roadie's action does)."""
KEYED_BY_DEFAULT = frozenset({"POST", "PATCH"})
"""Methods that send the run's Idempotency-Key unless the input says not to."""
IDEMPOTENCY_HEADER = "Idempotency-Key"
PERMANENT_5XX = frozenset({501, 505})
"""Not Implemented, HTTP Version Not Supported: trying again gets the same answer."""
NOT_SENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.ProxyError,
)
"""Transport errors raised before any byte of the request left: safe to send again."""


def sends_idempotency_key(method: str, asked: bool | None) -> bool:
    """Whether the run's key goes out as `Idempotency-Key`: as asked, else for POST/PATCH."""
    return method in KEYED_BY_DEFAULT if asked is None else asked


def is_retry_safe(method: str, keyed: bool) -> bool:
    """Whether sending the request again may not repeat its effect: an idempotent method, or
    an Idempotency-Key the server can recognise the repeat by."""
    return method in IDEMPOTENT_METHODS or keyed


def has_header(headers: Mapping[str, str], name: str) -> bool:
    return any(key.lower() == name.lower() for key in headers)


def is_expected(status: int, expected: Iterable[int] | None) -> bool:
    """Whether `status` is a success for the step: one of `expected`, else any 2xx."""
    return 200 <= status < 300 if expected is None else status in set(expected)


def is_retryable_status(status: int) -> bool:
    """429 Too Many Requests and the 5xx that another try may cure."""
    return status == 429 or (500 <= status < 600 and status not in PERMANENT_5XX)


def reached_server(error: httpx.TransportError) -> bool:
    """Whether the request may have reached the server (and had its effect) before `error`:
    true for everything after the connection was made (a write or read failure, a read
    timeout, a connection dropped before the answer)."""
    return not isinstance(error, NOT_SENT_ERRORS)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """The wait a `Retry-After` asks for, in seconds (RFC 9110 §10.2.3: delay-seconds or an
    HTTP date; a past date is 0), None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        seconds = float(text)
    except ValueError:
        return _seconds_until(text, now)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _seconds_until(http_date: str, now: datetime) -> float | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000": UTC by RFC 5322
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def is_cross_origin(before: httpx.URL, after: httpx.URL) -> bool:
    """Whether a redirect leaves the origin (scheme, host and port) it came from."""
    return (before.scheme, before.host, before.port) != (after.scheme, after.host, after.port)


def redirect_headers(
    headers: httpx.Headers, template_names: Iterable[str], cross_origin: bool
) -> httpx.Headers:
    """The headers a redirect hop sends: every header the template set (credentials, API
    keys) stays with its origin (httpx itself drops only Authorization)."""
    if not cross_origin:
        return headers
    kept = httpx.Headers(headers)
    for name in template_names:
        if name in kept:
            del kept[name]
    return kept
