"""One try of a request: its redirect hops (each checked again), each hop in its own span,
and the answer's body read up to the cap."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from email.message import Message

import httpx
from opentelemetry.util.types import AttributeValue

from actionpool.actions.builtin.http.plan import Plan
from actionpool.actions.builtin.http.policy import is_cross_origin, redirect_headers
from actionpool.actions.builtin.http.target import display_url, url_refusal
from actionpool.actions.context import ActionContext
from actionpool.actions.errors import ActionCancelledError, NonRetryableActionError


class ResponseTooLargeError(NonRetryableActionError):
    """Raised when a response body is larger than `HttpConfig.max_response_bytes`."""


@dataclasses.dataclass(frozen=True)
class Received:
    """An answer, its body read."""

    status: int
    reason: str
    headers: httpx.Headers
    content: bytes

    @property
    def media_type(self) -> str:
        content_type = str(self.headers.get("content-type", ""))
        return content_type.split(";", 1)[0].strip().lower()

    @property
    def text(self) -> str:
        message = Message()
        message["content-type"] = self.headers.get("content-type", "")
        charset = message.get_content_charset() or "utf-8"
        try:
            return self.content.decode(charset, errors="replace")
        except (LookupError, UnicodeError):  # a charset Python does not know, or idna
            return self.content.decode("utf-8", errors="replace")


def exchange(client: httpx.Client, plan: Plan, ctx: ActionContext, timeout_s: float) -> Received:
    """Send the plan's request, following redirects if it says so; one try."""
    deadline = time.monotonic() + timeout_s
    request = client.build_request(
        plan.method, plan.url, headers=plan.headers, content=plan.content
    )
    for _hop in range(plan.config.max_redirects + 1):
        received, next_request = send_one(client, request, plan, ctx, deadline)
        if next_request is None or not plan.follow_redirects:
            return received
        request = next_hop(request, next_request, plan)
    raise NonRetryableActionError(
        f"{plan.method} {plan.shown_url}: more than {plan.config.max_redirects} redirects "
        "(ACTIONPOOL_HTTP__MAX_REDIRECTS)"
    )


def next_hop(request: httpx.Request, redirect: httpx.Request, plan: Plan) -> httpx.Request:
    """The redirect's request, if its URL may be called, without the template's headers
    when it leaves the origin."""
    refusal = url_refusal(redirect.url, plan.config)
    if refusal is not None:
        shown = plan.redact(display_url(redirect.url))
        raise NonRetryableActionError(
            f"{plan.method} {plan.shown_url}: the redirect to {shown} is refused: {refusal}"
        )
    cross_origin = is_cross_origin(request.url, redirect.url)
    redirect.headers = redirect_headers(redirect.headers, plan.template_headers, cross_origin)
    return redirect


def send_one(
    client: httpx.Client, request: httpx.Request, plan: Plan, ctx: ActionContext, deadline: float
) -> tuple[Received, httpx.Request | None]:
    """One hop: the answer, and the redirect's request if the answer is a redirect."""
    request.extensions["timeout"] = httpx.Timeout(remaining_s(deadline, plan)).as_dict()
    attributes: dict[str, AttributeValue] = {
        "http.request.method": request.method,
        "url.full": plan.redact(display_url(request.url)),
        "server.address": request.url.host,
        "server.port": request.url.port or (443 if request.url.scheme == "https" else 80),
    }
    with ctx.span(f"HTTP {request.method}", **attributes) as span:
        response = client.send(request, stream=True)
        try:
            span.set_attribute("http.response.status_code", response.status_code)
            content = b"".join(capped_chunks(response, plan, ctx, deadline))
        finally:
            response.close()
    received = Received(response.status_code, response.reason_phrase, response.headers, content)
    return received, response.next_request


def capped_chunks(
    response: httpx.Response, plan: Plan, ctx: ActionContext, deadline: float
) -> Iterator[bytes]:
    """The decoded body, refused past the cap (before reading, when Content-Length says
    so), the try's deadline and cancellation checked between chunks."""
    cap = plan.config.max_response_bytes
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise too_large(plan, cap)
    total = 0
    for chunk in response.iter_bytes():
        total += len(chunk)
        if total > cap:
            raise too_large(plan, cap)
        if ctx.cancelled.is_set():
            raise ActionCancelledError("the run was cancelled while reading the response")
        remaining_s(deadline, plan)
        yield chunk


def too_large(plan: Plan, cap: int) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"{plan.method} {plan.shown_url}: the response body is larger than the cap of "
        f"{cap} bytes (ACTIONPOOL_HTTP__MAX_RESPONSE_BYTES)"
    )


def remaining_s(deadline: float, plan: Plan) -> float:
    """Seconds left of the try; httpx.ReadTimeout once none are."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpx.ReadTimeout(f"the request took longer than {plan.timeout_s:g} s")
    return left
