"""`debug:*` actions for demos and tests: log, sleep, and fail in chosen ways."""

from __future__ import annotations

import math
import time
from typing import Literal

from pydantic import Field

from actionpool.actions.action import READ_ONLY, Example, RetryPolicy, action
from actionpool.actions.context import ActionContext
from actionpool.actions.errors import (
    ActionCancelledError,
    NonRetryableActionError,
    RetryableActionError,
)
from actionpool.actions.model import ActionModel


class LogInput(ActionModel):
    message: str = Field(description="The line to log", max_length=10_000)


class LogOutput(ActionModel):
    message: str


@action(
    "debug:log",
    description="Writes a message to the run's log and returns it as output.",
    examples=[Example(description="Say hello", example='{"input": {"message": "hello"}}')],
    timeout_s=30,
    supports_dry_run=True,
    attributes=READ_ONLY,
)
def log(input: LogInput, ctx: ActionContext) -> LogOutput:
    ctx.logger.info(input.message)
    return LogOutput(message=input.message)


class SleepInput(ActionModel):
    seconds: float = Field(ge=0, le=3_600, description="How long to sleep")


class SleepOutput(ActionModel):
    slept_s: float


@action(
    "debug:sleep",
    description="Sleeps for `seconds`, logging once a second; stops early when cancelled.",
    examples=[Example(description="Sleep 5 s", example='{"input": {"seconds": 5}}')],
    timeout_s=3_660,
    supports_dry_run=True,
    attributes=READ_ONLY,
)
def sleep(input: SleepInput, ctx: ActionContext) -> SleepOutput:
    started = time.monotonic()
    for second in range(1, math.ceil(input.seconds) + 1):
        remaining = input.seconds - (time.monotonic() - started)
        if ctx.sleep(max(0.0, min(1.0, remaining))):
            raise ActionCancelledError(f"cancelled after {second - 1} s")
        ctx.logger.info("slept %d of %g s", second, input.seconds)
    return SleepOutput(slept_s=round(time.monotonic() - started, 3))


class FailInput(ActionModel):
    mode: Literal["retryable", "nonRetryable", "ignoreSoftTimeout"] = Field(
        default="retryable",
        description=(
            "retryable: fail the first `failAttempts` attempts, then succeed; "
            "nonRetryable: fail permanently; ignoreSoftTimeout: swallow the soft time limit "
            "and block until the hard limit kills the attempt"
        ),
    )
    fail_attempts: int = Field(
        default=1, ge=0, le=100, description="How many first attempts fail (mode retryable)"
    )


class FailOutput(ActionModel):
    attempt: int


@action(
    "debug:fail",
    description="Fails on purpose: transiently, permanently, or by ignoring its soft timeout.",
    examples=[
        Example(
            description="Fail twice, succeed on attempt 3",
            example='{"input": {"mode": "retryable", "failAttempts": 2}}',
        )
    ],
    timeout_s=30,
    soft_timeout_s=20,
    retry=RetryPolicy(max_attempts=3, initial_delay_s=0.2, max_delay_s=2.0),
    attributes=READ_ONLY,
)
def fail(input: FailInput, ctx: ActionContext) -> FailOutput:
    if input.mode == "nonRetryable":
        raise NonRetryableActionError("debug:fail was asked to fail permanently")
    if input.mode == "ignoreSoftTimeout":
        _block_through_soft_timeout(ctx)
    if ctx.attempt <= input.fail_attempts:
        raise RetryableActionError(
            f"debug:fail failing attempt {ctx.attempt} of the first {input.fail_attempts}"
        )
    ctx.logger.info("succeeding on attempt %d", ctx.attempt)
    return FailOutput(attempt=ctx.attempt)


def _block_through_soft_timeout(ctx: ActionContext) -> None:
    ctx.logger.info("blocking and ignoring the soft time limit")
    while True:
        try:
            time.sleep(3600)
        except Exception as exc:  # the soft time limit arrives as an exception: swallow it
            ctx.logger.info("ignoring %s", type(exc).__name__)
