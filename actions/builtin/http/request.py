"""`http:request`: calls an HTTP service from a template step, with Roadie's output
(`{code, headers, body}`), retries that never repeat a request's effect, and only the hosts
and addresses the operator allows (docs/actions/http-request.md)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from actionpool.actions.action import Action, Attributes, Example, RetryPolicy, action
from actionpool.actions.builtin.http.config import HttpConfig
from actionpool.actions.builtin.http.exchange import Received, exchange
from actionpool.actions.builtin.http.model import HttpRequestInput, HttpResponseOutput
from actionpool.actions.builtin.http.plan import Plan, plan_of
from actionpool.actions.builtin.http.policy import (
    SAFE_METHODS,
    is_expected,
    is_retryable_status,
    parse_retry_after,
    reached_server,
)
from actionpool.actions.builtin.http.retrying import TransientFailure, allowed_wait_s, retrying_of
from actionpool.actions.builtin.http.transport import GuardedTransport, Resolver, resolve_host
from actionpool.actions.context import SOFT_LIMIT_MARGIN_S, ActionContext
from actionpool.actions.errors import NonRetryableActionError, RetryableActionError

ACTION_ID = "http:request"
USER_AGENT = "actionpool-http-request/1"
EXCERPT_CHARS = 500
DRY_RUN_MESSAGE = "dry run: the request was not sent"
EXAMPLES = (
    Example(
        description="Create an issue, retried safely with the run's Idempotency-Key",
        example=json.dumps(
            {
                "input": {
                    "method": "POST",
                    "url": "https://api.example.com/v1/issues",
                    "headers": {"Authorization": "Bearer ${{ secrets.apiToken }}"},
                    "json": {"title": "New service"},
                    "expectedStatuses": [201],
                }
            }
        ),
    ),
)


def request_action(
    config: HttpConfig, *, resolve: Resolver = resolve_host
) -> Action[HttpRequestInput, HttpResponseOutput]:
    """`http:request` bound to the operator's config (`resolve`: the DNS, for tests)."""

    @action(
        ACTION_ID,
        description="Sends an HTTP request to an allowed host and returns its status, "
        "headers and body (parsed when JSON), like Roadie's http:backstage:request.",
        examples=EXAMPLES,
        timeout_s=630,
        soft_timeout_s=600,
        retry=RetryPolicy(max_attempts=3, initial_delay_s=2.0, max_delay_s=60.0),
        supports_dry_run=True,
        attributes=Attributes(read_only=False, destructive=True, idempotent=False),
        validation_context={"http": config},
    )
    def http_request(input: HttpRequestInput, ctx: ActionContext) -> HttpResponseOutput:
        return perform(input, ctx, config, resolve)

    return http_request


def perform(
    input: HttpRequestInput, ctx: ActionContext, config: HttpConfig, resolve: Resolver
) -> HttpResponseOutput:
    plan = plan_of(input, ctx, config)
    if ctx.dry_run and plan.method not in SAFE_METHODS:
        ctx.logger.info(
            "dry run: %s %s not sent (a dry run sends only GET, HEAD, OPTIONS)",
            plan.method,
            plan.shown_url,
        )
        return HttpResponseOutput(code=0, headers={}, body={"message": DRY_RUN_MESSAGE})
    ctx.logger.info("%s %s", plan.method, plan.shown_url)
    transport = GuardedTransport(config, resolve=resolve)
    with httpx.Client(
        transport=transport, trust_env=False, headers={"User-Agent": USER_AGENT}
    ) as client:
        received = send(client, plan, ctx)
    ctx.logger.info(
        "%s %s answered %d %s", plan.method, plan.shown_url, received.status, received.reason
    )
    return judge(received, plan, ctx)


def send(client: httpx.Client, plan: Plan, ctx: ActionContext) -> Received:
    """The answer, tried again (within the attempt) only when that cannot repeat an effect."""
    if not plan.retry_safe:
        refuse_if_sent_before(plan, ctx)
        ctx.checkpoints.save(SENT_KEY, json.dumps({"sent": True, "attempt": ctx.attempt}))
        try:
            return try_once(client, plan, ctx)
        except TransientFailure as failure:
            if failure.received is None and not failure.reached_server:  # it never left
                ctx.checkpoints.save(SENT_KEY, json.dumps({"sent": False}))
            return give_up(failure, plan, ctx, tries=1)
    retrying = retrying_of(ctx, plan)
    try:
        return retrying(try_once, client, plan, ctx)
    except TransientFailure as failure:
        return give_up(failure, plan, ctx, tries=retrying.statistics.get("attempt_number", 1))


SENT_KEY = "http-request.sent.v1"
"""Written before a request that may not be repeated (a POST or PATCH without a key) leaves:
an attempt after one that died while sending it must not send it again."""


def refuse_if_sent_before(plan: Plan, ctx: ActionContext) -> None:
    """NonRetryableActionError when an earlier attempt of the run may have sent this request
    (it was killed, or timed out, while it was in flight)."""
    stored = ctx.checkpoints.load(SENT_KEY)
    if stored is not None and json.loads(stored).get("sent"):
        raise NonRetryableActionError(
            f"{plan.method} {plan.shown_url} was sent by an earlier attempt that did not "
            "finish, and may have taken effect: it is not sent again (with an Idempotency-Key, "
            "sendIdempotencyKey, it would be)"
        )


def try_once(client: httpx.Client, plan: Plan, ctx: ActionContext) -> Received:
    """One try; `TransientFailure` when another one may get a better answer."""
    shown = f"{plan.method} {plan.shown_url}"
    try:
        received = exchange(client, plan, ctx, timeout_of(plan, ctx))
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise NonRetryableActionError(f"{shown}: {plan.redact(str(exc))}") from None
    except httpx.TransportError as exc:
        reason = plan.redact(str(exc)) or type(exc).__name__
        message = f"{shown}: {type(exc).__name__}: {reason}"
        raise TransientFailure(message, reached_server=reached_server(exc)) from None
    except httpx.HTTPError as exc:  # a body that cannot be decoded, and the like
        raise NonRetryableActionError(f"{shown}: {plan.redact(str(exc))}") from None
    if is_retryable_status(received.status) and not is_expected(
        received.status, plan.expected_statuses
    ):
        retry_after_s = parse_retry_after(received.headers.get("retry-after"), datetime.now(UTC))
        raise TransientFailure(
            status_message(received, plan), received=received, retry_after_s=retry_after_s
        )
    return received


def timeout_of(plan: Plan, ctx: ActionContext) -> float:
    """The try's timeout: the input's, within what is left of the attempt's soft limit."""
    if ctx.soft_deadline is None:
        return plan.timeout_s
    left_s = ctx.soft_deadline - time.monotonic() - SOFT_LIMIT_MARGIN_S
    return max(0.1, min(plan.timeout_s, left_s))


def give_up(failure: TransientFailure, plan: Plan, ctx: ActionContext, tries: int) -> Received:
    """What a failure that was not (or no longer) tried again becomes: an answer to judge
    (continueOnBadResponse), a retryable error for the pool's policy, or a final one."""
    if failure.received is not None and plan.continue_on_bad_response:
        return failure.received
    after = f" (after {tries} tries)" if tries > 1 else ""
    if plan.retry_safe:
        note = ""
        if failure.retry_after_s is not None and failure.retry_after_s > allowed_wait_s(plan, ctx):
            note = (
                f"; the server asked to wait {failure.retry_after_s:g} s (Retry-After), "
                "longer than this attempt may wait"
            )
        raise RetryableActionError(f"{failure}{after}{note}")
    if failure.received is None and not failure.reached_server:
        raise RetryableActionError(f"{failure} (the request was not sent)")
    raise NonRetryableActionError(
        f"{failure}; the request may have reached the server, and a {plan.method} without "
        "an Idempotency-Key is not sent again"
    )


def judge(received: Received, plan: Plan, ctx: ActionContext) -> HttpResponseOutput:
    """The step's output, or its failure for a status it did not expect."""
    if not is_expected(received.status, plan.expected_statuses):
        if not plan.continue_on_bad_response:
            raise NonRetryableActionError(status_message(received, plan))
        ctx.logger.warning(
            "%s %s: status %d was not expected; continuing (continueOnBadResponse)",
            plan.method,
            plan.shown_url,
            received.status,
        )
    return HttpResponseOutput(
        code=received.status, headers=dict(received.headers.items()), body=body_of(received, ctx)
    )


def status_message(received: Received, plan: Plan) -> str:
    text = received.text
    excerpt = text[:EXCERPT_CHARS] + ("…" if len(text) > EXCERPT_CHARS else "")
    return (
        f"{plan.method} {plan.shown_url} answered {received.status} {received.reason}: "
        f"{plan.redact(excerpt) or '(no body)'}"
    )


def body_of(received: Received, ctx: ActionContext) -> Any:
    """Roadie's body: the parsed JSON when the response says it is JSON, else
    `{"message": <text>}` (also for JSON that does not parse, with a warning)."""
    text = received.text
    media_type = received.media_type
    if (media_type == "application/json" or media_type.endswith("+json")) and text.strip():
        try:
            return json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError):
            ctx.logger.warning("the response says it is JSON but is not: returned as text")
    return {"message": text}


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
