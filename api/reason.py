"""Reason phrases: an error answer's status line says what its body says.

Backstage's own HTTP client (`ResponseError.fromResponse`, used by its distributed actions)
turns a failed answer into `Request failed with <status> <reason phrase>` and keeps the body
only as the error's `cause`, which the scaffolder's step log does not show. So each error
answer's status line carries `<error name>: <message>` as its reason phrase (free text in
HTTP/1.1, RFC 9112 §4), and the step log shows the run's own error.

ASGI has no field for a reason phrase: `api.errors` puts it in the private response header
`x-actionpool-reason`, and the uvicorn protocols (`api.protocol`) write it into the status line
and drop the header.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

REASON_HEADER = b"x-actionpool-reason"
MAX_REASON_CHARS = 300


def reason_phrase(name: str, message: str) -> str:
    """`name: message` as a reason phrase: printable ASCII (anything else a `?`), bounded."""
    text = f"{name}: {message}"[:MAX_REASON_CHARS]
    return "".join(c if " " <= c <= "~" else "?" for c in text)


def status_line_with(head: bytes, reason: bytes) -> bytes:
    """`HTTP/1.1 424 Failed Dependency\\r\\n…` with another reason phrase."""
    line, separator, rest = head.partition(b"\r\n")
    version, status, *_ = line.split(b" ", 2)
    return b" ".join((version, status, reason)) + separator + rest


class _ReasonWriter:
    """The cycle's transport while it sends its status line: rewrites that line once."""

    def __init__(self, transport: asyncio.Transport, reason: bytes) -> None:
        self.transport = transport
        self.reason = reason
        self.written = False

    def write(self, data: bytes) -> None:
        if not self.written:
            self.written = True
            data = status_line_with(data, self.reason)
        self.transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


Send = Callable[[dict[str, Any]], Awaitable[None]]


def state_reasons(cycle: Any) -> None:
    """Make a uvicorn request-response cycle write the reason phrase its app asks for."""
    if getattr(cycle, "states_reasons", False):
        return
    send: Send = cycle.send

    async def send_with_reason(message: dict[str, Any]) -> None:
        headers = message.get("headers", []) if message["type"] == "http.response.start" else []
        reasons = [value for name, value in headers if name.lower() == REASON_HEADER]
        if not reasons:
            await send(message)
            return
        kept = [(name, value) for name, value in headers if name.lower() != REASON_HEADER]
        transport = cycle.transport
        cycle.transport = _ReasonWriter(transport, reasons[0])
        try:
            await send({**message, "headers": kept})
        finally:
            cycle.transport = transport

    cycle.send = send_with_reason
    cycle.states_reasons = True
