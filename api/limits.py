"""`BodyLimitMiddleware`: a request body is read whole, within a time limit, refused with a
413 over the configured size, and a JSON body is checked against `JsonLimits` on its bytes,
before anything parses it."""

from __future__ import annotations

import asyncio
import dataclasses
from itertools import accumulate

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from actionpool.actions.errors import (
    ActionPoolError,
    MalformedRequestError,
    PayloadTooLargeError,
    RequestTimeoutError,
)
from actionpool.api.errors import error_response
from actionpool.api.settings import ApiSettings

ESCAPES = ((b"\\\\", b".."), (b'\\"', b".."))
"""Escaped backslashes, then escaped quotes, each replaced by two bytes: the same length, and
every quote left is one that opens or closes a string."""
PLACEHOLDER = b"0"
"""What stands for a string in a body's structure (a scalar: `[""]` still holds an item)."""
WHITESPACE = b" \t\r\n"
NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
STEP = [0] * 256
STEP[ord("[")] = STEP[ord("{")] = 1
STEP[ord("]")] = STEP[ord("}")] = -1


@dataclasses.dataclass(frozen=True)
class JsonLimits:
    """What a JSON body may hold. Each rule is checked on the body's bytes, in one pass that
    only runs when the counts of its brackets, commas and bytes leave the answer open."""

    max_depth: int
    """Objects and arrays nested at most this deep below the body's own object or array."""
    max_items: int
    """Object members and array items, every level together."""
    max_string_bytes: int
    """Longest string (a key or a value) as sent, escapes included, quotes not."""

    @classmethod
    def of(cls, settings: ApiSettings) -> JsonLimits:
        return cls(
            max_depth=settings.max_json_depth,
            max_items=settings.max_json_items,
            max_string_bytes=settings.max_json_string_bytes,
        )

    def check(self, body: bytes) -> ActionPoolError | None:
        """The error a body breaks (413 for size, 400 for depth), or None."""
        opens = body.count(b"[") + body.count(b"{")
        if (
            len(body) <= self.max_string_bytes + 2
            and opens <= self.max_depth + 1
            and body.count(b",") + opens <= self.max_items
        ):
            return None  # no string, nesting or item count can be over (most bodies)
        return self._scan(body)

    def _scan(self, body: bytes) -> ActionPoolError | None:
        """C-speed steps only (replace, count, split, join, translate), and the per-bracket
        sum only once the item count bounds the brackets."""
        if b"\\" in body:
            for escaped, same_length in ESCAPES:
                body = body.replace(escaped, same_length)
        strings = body.count(b'"') // 2
        if strings > 2 * self.max_items + 1:  # each string but the body itself is a key or item
            return self._too_many(f"more than {self.max_items}")
        parts = body.split(b'"')  # outside, string, outside, string, ..., outside
        longest = max(map(len, parts[1::2]), default=0)
        if longest > self.max_string_bytes:
            return PayloadTooLargeError(
                f"a string in the body is {longest} bytes long, over the limit of "
                f"{self.max_string_bytes} bytes per string"
            )
        structure = PLACEHOLDER.join(parts[0::2]).translate(None, WHITESPACE)
        opens = structure.count(b"[") + structure.count(b"{")
        empty = structure.count(b"[]") + structure.count(b"{}")
        # Every container but the outermost is an item too (an empty one included).
        items = max(structure.count(b",") + opens - empty, opens - 1)
        if items > self.max_items:
            return self._too_many(str(items))
        brackets = structure.translate(None, NOT_BRACKETS)  # at most 2 * (max_items + 1)
        if len(brackets) != 2 * opens:
            return MalformedRequestError("the body is not valid JSON: its brackets do not pair")
        depth = max(accumulate(map(STEP.__getitem__, brackets)), default=0) - 1
        if depth > self.max_depth:
            return MalformedRequestError(
                f"the body nests objects and arrays {depth} deep (below its own), deeper than "
                f"the limit of {self.max_depth}"
            )
        return None

    def _too_many(self, items: str) -> PayloadTooLargeError:
        return PayloadTooLargeError(
            f"the body holds {items} object members and array items, over the limit of "
            f"{self.max_items}"
        )


class BodyLimitMiddleware:
    """Reads the whole body first (at most `max_body_bytes`, within `body_timeout_s` of the
    request's start), checks a JSON body against `json_limits`, then hands it to the app.

    A declared `Content-Length` over the limit is refused before any of the body is read;
    a chunked body is refused as soon as it passes the limit; a body that does not arrive in
    time (shorter than its `Content-Length`, or trickling) is a 408.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        json_limits: JsonLimits | None = None,
        body_timeout_s: float | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.json_limits = json_limits
        self.body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            async with asyncio.timeout(self.body_timeout_s):
                body = await self._read(scope, receive)
        except TimeoutError:
            await _time_out(scope, receive, send, self.body_timeout_s or 0)
            return
        except ActionPoolError as error:
            await _refuse(scope, receive, send, error)
            return
        if body is None:
            return  # the client went away
        if self.json_limits is not None and body and _may_be_json(scope):
            broken = self.json_limits.check(body)
            if broken is not None:
                await _refuse(scope, receive, send, broken)
                return
        await self.app(scope, replay(body, receive), send)

    async def _read(self, scope: Scope, receive: Receive) -> bytes | None:
        """The whole body; None if the client disconnected first."""
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            raise self._too_large()
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body += bytes(message.get("body", b""))
            if len(body) > self.max_body_bytes:
                raise self._too_large()
            if not message.get("more_body", False):
                return body

    def _too_large(self) -> PayloadTooLargeError:
        return PayloadTooLargeError(
            f"the request body is larger than the limit of {self.max_body_bytes} bytes"
        )


def _url(scope: Scope) -> str:
    path, query = str(scope["path"]), bytes(scope["query_string"])
    return path + (f"?{query.decode('latin-1')}" if query else "")


async def _refuse(scope: Scope, receive: Receive, send: Send, error: ActionPoolError) -> None:
    response = error_response(scope["method"], _url(scope), error)
    response.headers["Connection"] = "close"
    await response(scope, receive, send)


async def _time_out(scope: Scope, receive: Receive, send: Send, timeout_s: float) -> None:
    error = RequestTimeoutError(f"the request body did not arrive within {timeout_s:g} s")
    response = error_response(scope["method"], _url(scope), error)
    response.headers["Connection"] = "close"
    await response(scope, receive, send)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _may_be_json(scope: Scope) -> bool:
    """A body the app would parse as JSON: declared JSON (`+json` too), or undeclared."""
    content_type = _header(scope, b"content-type")
    if content_type is None:
        return True
    media_type = content_type.split(b";", 1)[0].strip().lower()
    return media_type == b"application/json" or media_type.endswith(b"+json")


def replay(body: bytes, downstream: Receive) -> Receive:
    """Gives the buffered body once, then passes on what the server sends (disconnects)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await downstream()

    return receive
