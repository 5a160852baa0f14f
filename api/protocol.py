"""uvicorn's HTTP/1.1 protocols with the pool's limits and the Backstage error body.

What uvicorn refuses before the app sees a request (a request line, header or
`Content-Length` its parser cannot read, a NUL in a header, a bad chunk) it answers with a
plain-text 400; these classes answer the Backstage error body instead (`api.errors`), and
add what uvicorn does not have:

- an error answer's reason phrase is its error (`api.reason`);

- a request target longer than `max_url_bytes` is a 414, headers over `max_header_bytes`
  a 431 (httptools has no limit of its own; h11 refuses an unfinished head over
  `h11_max_incomplete_event_size`, which `actionpool.cli.serve` sets to the same limit);
- a request whose line and headers have not all arrived `headers_timeout_s` after the
  connection opened, or after the answer before it, is a 408 (uvicorn waits for ever; an
  idle connection is closed, as uvicorn's keep-alive timeout does).

Every refusal closes the connection. A body that never arrives is `api.limits`' 408.

uvicorn builds one protocol object per connection from the class alone (and pickles the
class by name for `--workers`), so the limits are read once per process from the
environment (`ACTIONPOOL_*`), as the app factory reads its settings.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Callable
from typing import ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from actionpool.actions.errors import (
    RequestHeaderFieldsTooLargeError,
    UriTooLongError,
)
from actionpool.api.reason import state_reasons
from actionpool.api.refusal import Refusal, hang_up, response_bytes, send_and_close, timed_out
from actionpool.api.settings import ApiSettings


@dataclasses.dataclass(frozen=True)
class ProtocolLimits:
    max_url_bytes: int
    max_header_bytes: int
    headers_timeout_s: float

    @classmethod
    def of(cls, settings: ApiSettings) -> ProtocolLimits:
        return cls(settings.max_url_bytes, settings.max_header_bytes, settings.headers_timeout_s)

    @property
    def max_head_bytes(self) -> int:
        """A whole unfinished head (request line, headers, separators) never needs more."""
        return self.max_url_bytes + self.max_header_bytes + 8 * 1024


@functools.cache
def process_limits() -> ProtocolLimits:
    return ProtocolLimits.of(ApiSettings())


class HeadDeadline:
    """Fires `headers_timeout_s` after it is armed, unless it is armed again or cancelled."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, timeout_s: float, fire: Callable[[], None]
    ) -> None:
        self.loop = loop
        self.timeout_s = timeout_s
        self.fire = fire
        self.handle: asyncio.TimerHandle | None = None

    def arm(self) -> None:
        self.cancel()
        self.handle = self.loop.call_later(self.timeout_s, self.fire)

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None


class _HeadRefusedError(Exception):
    """Raised inside a parser callback to stop the parser; the refusal is kept aside."""


class BackstageHttpToolsProtocol(HttpToolsProtocol):
    """httptools (what uvicorn[standard] runs): the limits, the 408, the Backstage body."""

    limits: ClassVar[ProtocolLimits | None] = None
    """For tests; else `process_limits()`."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self.pool_limits = self.limits or process_limits()
        self.deadline = HeadDeadline(
            self.loop, self.pool_limits.headers_timeout_s, self._on_deadline
        )
        self.refusal: Refusal | None = None
        self.refused = False
        self.in_head = False  # between a request's first byte and the end of its headers
        self._expect_head()

    def _expect_head(self) -> None:
        self.awaiting_head, self.head_bytes, self.header_bytes = True, 0, 0
        self.deadline.arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self.deadline.cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return  # the answer is out: what follows is dropped
        if self.awaiting_head:
            self.head_bytes += len(data)
        super().data_received(data)
        too_long = self.head_bytes > self.pool_limits.max_head_bytes
        if self.awaiting_head and too_long and not self.refused:
            self._refuse(self._headers_too_large())  # one header, still arriving

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.in_head = True

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.pool_limits.max_url_bytes:
            limit = self.pool_limits.max_url_bytes
            message = f"the request target is longer than the limit of {limit} bytes"
            self._stop(Refusal.of(UriTooLongError(message)))

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self.header_bytes += len(name) + len(value)
        if self.header_bytes > self.pool_limits.max_header_bytes:
            self._stop(self._headers_too_large())

    def on_headers_complete(self) -> None:
        self.awaiting_head = self.in_head = False
        self.deadline.cancel()
        super().on_headers_complete()
        if self.cycle is not None:
            state_reasons(self.cycle)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self._expect_head()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to anything its parser refused (and to `_stop`)."""
        self._refuse(self.refusal or Refusal.invalid())

    def _stop(self, refusal: Refusal) -> None:
        self.refusal = refusal
        raise _HeadRefusedError(refusal.message)  # the parser stops: uvicorn sends "a 400"

    def _headers_too_large(self) -> Refusal:
        limit = self.pool_limits.max_header_bytes
        message = f"the request's headers are larger than the limit of {limit} bytes"
        return Refusal.of(RequestHeaderFieldsTooLargeError(message))

    def _on_deadline(self) -> None:
        if self.transport.is_closing() or not self.awaiting_head:
            return  # closed, or a request is under way (its body has its own limit)
        if self.in_head:
            self._refuse(timed_out(self.deadline.timeout_s))
        else:
            self.transport.close()  # idle: nothing to answer

    def _refuse(self, refusal: Refusal) -> None:
        method, url = self._request_line()
        headers = list(self.server_state.default_headers)
        answer = response_bytes(refusal, method, url, headers)
        self.refused = True
        self.deadline.cancel()
        hang_up(self.cycle)
        send_and_close(self.transport, answer)

    def _request_line(self) -> tuple[str, str]:
        """The refused request's method and target, as far as they came."""
        if self.in_head:  # the method comes before the target
            url = self.url.decode("latin-1")
            return (self.parser.get_method().decode("latin-1") if url else "", url)
        if self.cycle is not None and not self.cycle.response_complete:  # in its body
            return self.scope["method"], self.url.decode("latin-1")
        return "", ""


class BackstageH11Protocol(H11Protocol):
    """h11 (when httptools is not installed): the Backstage body on its 400s, the 408."""

    limits: ClassVar[ProtocolLimits | None] = None
    """For tests; else `process_limits()`."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        timeout_s = (self.limits or process_limits()).headers_timeout_s
        self.deadline = HeadDeadline(self.loop, timeout_s, self._on_deadline)
        self.deadline.arm()
        self.refused = False

    def data_received(self, data: bytes) -> None:
        if not self.refused:  # once the answer is out, what follows is dropped
            super().data_received(data)

    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not None:
            state_reasons(self.cycle)

    def connection_lost(self, exc: Exception | None) -> None:
        self.deadline.cancel()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self.deadline.arm()

    def send_400_response(self, msg: str) -> None:
        self._refuse(Refusal.invalid())

    def _on_deadline(self) -> None:
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return  # closed, or a request is under way (its body has its own limit)
        data, _ = self.conn.trailing_data
        if data:
            self._refuse(timed_out(self.deadline.timeout_s))
        else:
            self.transport.close()  # idle: nothing to answer

    def _refuse(self, refusal: Refusal) -> None:
        """h11 keeps no partial request line: the body names no method or target."""
        headers = list(self.server_state.default_headers)
        self.refused = True
        self.deadline.cancel()
        hang_up(self.cycle)
        send_and_close(self.transport, response_bytes(refusal, "", "", headers))


PROTOCOL = BackstageHttpToolsProtocol
"""What `actionpool api` serves with: uvicorn's `http="auto"` picks httptools, which
uvicorn[standard] installs (`BackstageH11Protocol` is there for a pool that swaps it)."""
