"""Refusals: the answers the uvicorn protocols (`api.protocol`) write themselves, before or
instead of the app, with the Backstage error body, and how they end the connection."""

from __future__ import annotations

import asyncio
import dataclasses
import json

from uvicorn.protocols.http.h11_impl import RequestResponseCycle as H11Cycle
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle as HttpToolsCycle

from actionpool.actions.errors import ActionPoolError, MalformedRequestError, RequestTimeoutError
from actionpool.api.errors import error_body, status_for
from actionpool.api.reason import reason_phrase

SHOWN_URL_CHARS = 256
"""Of a refused request's target, its error body shows this much (it may be huge)."""
LINGER_S = 2.0
"""After a refusal, what the client still sends is read and dropped this long at most."""
INVALID = "the request is not valid HTTP/1.1: its parser refused it"


@dataclasses.dataclass(frozen=True)
class Refusal:
    status: int
    name: str
    message: str

    @classmethod
    def of(cls, error: ActionPoolError) -> Refusal:
        return cls(status_for(error), error.name, error.message)

    @classmethod
    def invalid(cls) -> Refusal:
        return cls.of(MalformedRequestError(INVALID))


def response_bytes(
    refusal: Refusal, method: str, url: str, default_headers: list[tuple[bytes, bytes]]
) -> bytes:
    """A whole HTTP/1.1 answer with the Backstage error body, that closes the connection."""
    shown = url if len(url) <= SHOWN_URL_CHARS else f"{url[:SHOWN_URL_CHARS]}…"
    body = error_body(method, shown, refusal.status, refusal.name, refusal.message)
    content = json.dumps(body).encode()
    phrase = reason_phrase(refusal.name, refusal.message)
    lines = [f"HTTP/1.1 {refusal.status} {phrase}".encode()]
    lines += [name + b": " + value for name, value in default_headers]
    lines += [
        b"content-type: application/json",
        b"content-length: " + str(len(content)).encode(),
        b"connection: close",
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + content


def send_and_close(transport: asyncio.Transport, answer: bytes) -> None:
    """Write the answer and end the connection, lingering: closing with the client's data
    unread would reset the connection, and the client could lose the answer before reading
    it. So the write side is shut (the client reads the answer, then end of stream), what
    comes in meanwhile is dropped, and the connection is closed when the client closes it or
    after `LINGER_S`."""
    transport.write(answer)
    if not transport.can_write_eof():
        transport.close()
        return
    transport.write_eof()
    asyncio.get_running_loop().call_later(LINGER_S, transport.close)


def hang_up(cycle: H11Cycle | HttpToolsCycle | None) -> None:
    """The request under way (refused in its body) ends for the app as if the client left:
    its `receive` says disconnect, and what it sends is dropped (as uvicorn does when a
    connection is lost), since the answer is out already."""
    if cycle is not None and not cycle.response_complete:
        cycle.disconnected = True
        cycle.message_event.set()


def timed_out(timeout_s: float) -> Refusal:
    return Refusal.of(
        RequestTimeoutError(f"the request's headers did not arrive within {timeout_s:g} s")
    )
