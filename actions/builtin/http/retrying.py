"""Tries of one request within an attempt: `ctx.retrying` (bounded by the attempt's soft
limit, stopped by cancellation) waiting what a `Retry-After` asks, and giving up at once
when it asks more than the attempt may wait."""

from __future__ import annotations

import time
from collections.abc import Callable

import tenacity

from actionpool.actions.builtin.http.exchange import Received
from actionpool.actions.builtin.http.plan import Plan
from actionpool.actions.context import SOFT_LIMIT_MARGIN_S, ActionContext

INITIAL_DELAY_S = 0.5
MAX_DELAY_S = 10.0


class TransientFailure(Exception):  # noqa: N818 - internal signal, never leaves the action
    """A try that another try may cure: a retryable status, or a transport error."""

    def __init__(
        self,
        message: str,
        *,
        received: Received | None = None,
        retry_after_s: float | None = None,
        reached_server: bool = True,
    ) -> None:
        super().__init__(message)
        self.received = received
        self.retry_after_s = retry_after_s
        self.reached_server = reached_server


def failure_of(state: tenacity.RetryCallState) -> TransientFailure | None:
    error = state.outcome.exception() if state.outcome is not None else None
    return error if isinstance(error, TransientFailure) else None


def allowed_wait_s(plan: Plan, ctx: ActionContext) -> float:
    """The longest wait before another try: the config's cap, within the soft limit."""
    limit_s = plan.config.max_retry_after_s
    if ctx.soft_deadline is not None:
        limit_s = min(limit_s, ctx.soft_deadline - time.monotonic() - SOFT_LIMIT_MARGIN_S)
    return max(0.0, limit_s)


def wait_of(fallback: Callable[[tenacity.RetryCallState], float]) -> Callable[..., float]:
    """The server's Retry-After if it sent one, else the fallback (jittered backoff)."""

    def wait(state: tenacity.RetryCallState) -> float:
        failure = failure_of(state)
        if failure is not None and failure.retry_after_s is not None:
            return failure.retry_after_s
        return float(fallback(state))

    return wait


class StopTries(tenacity.stop.stop_base):
    """`ctx.retrying`'s stop (tries, soft limit), and stop when the server asks for a longer
    wait than the attempt may make."""

    def __init__(self, base: tenacity.stop.StopBaseT, plan: Plan, ctx: ActionContext) -> None:
        self.base, self.plan, self.ctx = base, plan, ctx

    def __call__(self, state: tenacity.RetryCallState) -> bool:
        if self.base(state):
            return True
        failure = failure_of(state)
        if failure is None or failure.retry_after_s is None:
            return False
        return failure.retry_after_s > allowed_wait_s(self.plan, self.ctx)


def retrying_of(ctx: ActionContext, plan: Plan) -> tenacity.Retrying:
    base = ctx.retrying(
        max_attempts=plan.config.max_tries,
        initial_delay_s=INITIAL_DELAY_S,
        max_delay_s=MAX_DELAY_S,
        retry_on=(TransientFailure,),
    )

    def log_retry(state: tenacity.RetryCallState) -> None:
        failure = failure_of(state)
        wait_s = state.upcoming_sleep
        ctx.logger.warning(
            "try %d failed: %s; trying again in %.1f s", state.attempt_number, failure, wait_s
        )

    return base.copy(
        wait=wait_of(base.wait),
        stop=StopTries(base.stop, plan, ctx),
        before_sleep=log_retry,
    )
