"""Pure decisions of the pool: backoff, whether to retry, which time limits apply."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from actionpool.actions.action import Action, RetryPolicy
from actionpool.actions.errors import ActionCancelledError, NonRetryableActionError

DEFAULT_SOFT_FRACTION = 0.9
"""Without a declared soft limit, the soft limit is this fraction of the hard one."""


def compute_backoff_s(attempt: int, policy: RetryPolicy, rng: random.Random) -> float:
    """The wait after failed attempt `attempt` (1-based): exponential, capped, with jitter.

    Jitter is "equal jitter": the wait is uniform in [delay/2, delay], so retries of many runs
    spread out but none comes back immediately.
    """
    exponent = max(0, attempt - 1)
    delay = min(policy.max_delay_s, policy.initial_delay_s * policy.backoff_multiplier**exponent)
    if policy.jitter:
        delay = rng.uniform(delay / 2, delay)
    return delay


@dataclasses.dataclass(frozen=True)
class RetryDecision:
    retry: bool
    delay_s: float
    reason: str


def decide_retry(
    error: BaseException,
    *,
    attempt: int,
    max_attempts: int,
    policy: RetryPolicy,
    rng: random.Random,
    deadline_in_s: float | None = None,
) -> RetryDecision:
    """Retry unless the error is non-retryable, the attempts are used up, or the run's
    deadline (`deadline_in_s` from now) would pass before the next attempt starts."""
    if isinstance(error, (NonRetryableActionError, ActionCancelledError, *policy.non_retryable)):
        return RetryDecision(False, 0.0, f"{type(error).__name__} is not retryable")
    if attempt >= max_attempts:
        return RetryDecision(False, 0.0, f"attempt {attempt} of {max_attempts} was the last")
    delay_s = compute_backoff_s(attempt, policy, rng)
    if deadline_in_s is not None and delay_s >= deadline_in_s:
        return RetryDecision(False, 0.0, "the run's deadline leaves no time for another attempt")
    return RetryDecision(True, delay_s, f"attempt {attempt} of {max_attempts} failed")


@dataclasses.dataclass(frozen=True)
class TimeLimits:
    soft_s: float
    hard_s: float


def resolve_time_limits(timeout_s: float, soft_timeout_s: float | None) -> TimeLimits:
    """The soft and hard limits of one attempt.

    The hard limit is the action's `timeout_s`. It may exceed the broker's visibility
    timeout: a message redelivered while its attempt runs finds the run leased and does not
    run it again. The soft limit is the declared one (or the hard one), capped at 90 % of the
    hard limit so the action has time to clean up before it is killed.
    """
    hard_s = timeout_s
    soft_s = soft_timeout_s if soft_timeout_s is not None else hard_s * DEFAULT_SOFT_FRACTION
    return TimeLimits(soft_s=min(soft_s, hard_s * DEFAULT_SOFT_FRACTION), hard_s=hard_s)


def time_limits_of(action: Action[Any, Any], deadline_in_s: float | None = None) -> TimeLimits:
    """The action's limits, shortened so an attempt never outlives the run's deadline."""
    hard_s = action.timeout_s if deadline_in_s is None else min(action.timeout_s, deadline_in_s)
    soft_s = action.soft_timeout_s
    return resolve_time_limits(hard_s, None if soft_s is None else min(soft_s, hard_s))
