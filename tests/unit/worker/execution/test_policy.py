import random

import pytest

from actionpool.actions.action import RetryPolicy
from actionpool.actions.builtin.debug import fail
from actionpool.actions.errors import (
    ActionTimeoutError,
    NonRetryableActionError,
    OutputValidationError,
    RetryableActionError,
)
from actionpool.worker.execution.policy import (
    compute_backoff_s,
    decide_retry,
    resolve_time_limits,
    time_limits_of,
)

NO_JITTER = RetryPolicy(initial_delay_s=1, backoff_multiplier=2, max_delay_s=10, jitter=False)


@pytest.mark.parametrize(("attempt", "expected_s"), [(1, 1), (2, 2), (3, 4), (4, 8), (5, 10)])
def test_backoff_grows_exponentially_and_is_capped(attempt: int, expected_s: float) -> None:
    # Given a policy without jitter / When the delay after an attempt is computed
    delay_s = compute_backoff_s(attempt, NO_JITTER, random.Random(0))
    # Then it doubles per attempt and stops at max_delay_s
    assert delay_s == expected_s


def test_jitter_stays_between_half_and_full_delay() -> None:
    # Given a jittered policy
    policy = NO_JITTER.model_copy(update={"jitter": True})
    rng = random.Random(42)
    # When many delays for attempt 3 (nominal 4 s) are drawn
    delays = [compute_backoff_s(3, policy, rng) for _ in range(1000)]
    # Then they all lie in [2, 4] and are spread out
    assert all(2 <= d <= 4 for d in delays)
    assert max(delays) - min(delays) > 1.5


def test_retryable_error_is_retried_with_backoff() -> None:
    decision = decide_retry(
        RetryableActionError("flaky"),
        attempt=1,
        max_attempts=3,
        policy=NO_JITTER,
        rng=random.Random(0),
    )
    assert decision.retry
    assert decision.delay_s == 1


def test_last_attempt_is_not_retried() -> None:
    decision = decide_retry(
        RetryableActionError("flaky"),
        attempt=3,
        max_attempts=3,
        policy=NO_JITTER,
        rng=random.Random(),
    )
    assert not decision.retry
    assert "attempt 3 of 3" in decision.reason


@pytest.mark.parametrize("error", [NonRetryableActionError("no"), OutputValidationError("bad")])
def test_non_retryable_errors_fail_at_once(error: Exception) -> None:
    decision = decide_retry(error, attempt=1, max_attempts=5, policy=NO_JITTER, rng=random.Random())
    assert not decision.retry


def test_policy_can_name_more_non_retryable_types() -> None:
    # Given a policy that never retries KeyError
    policy = NO_JITTER.model_copy(update={"non_retryable": (KeyError,)})
    # Then a KeyError fails at once while a timeout is still retried
    assert not decide_retry(
        KeyError("x"), attempt=1, max_attempts=3, policy=policy, rng=random.Random()
    ).retry
    assert decide_retry(
        ActionTimeoutError("slow"), attempt=1, max_attempts=3, policy=policy, rng=random.Random()
    ).retry


def test_unexpected_exceptions_are_retried() -> None:
    decision = decide_retry(
        ConnectionError("reset"), attempt=1, max_attempts=2, policy=NO_JITTER, rng=random.Random()
    )
    assert decision.retry


def test_declared_soft_limit_is_kept() -> None:
    limits = resolve_time_limits(30, 20)
    assert (limits.soft_s, limits.hard_s) == (20, 30)


def test_soft_limit_defaults_to_ninety_percent_of_hard() -> None:
    limits = resolve_time_limits(100, None)
    assert (limits.soft_s, limits.hard_s) == (90, 100)


def test_hard_limit_is_the_declared_timeout() -> None:
    # Given an action allowed two hours (longer than the broker's visibility timeout:
    # a redelivered message finds the run leased and does not run it twice)
    limits = resolve_time_limits(7200, None)
    assert (limits.soft_s, limits.hard_s) == (6480, 7200)


def test_soft_limit_equal_to_hard_is_pulled_below_it() -> None:
    limits = resolve_time_limits(10, 10)
    assert limits.soft_s < limits.hard_s == 10


def test_no_retry_when_the_backoff_would_pass_the_deadline() -> None:
    # Given a retryable failure whose next attempt would wait 4 s, with 3 s left
    decision = decide_retry(
        RetryableActionError("flaky"),
        attempt=3,
        max_attempts=10,
        policy=NO_JITTER,
        rng=random.Random(),
        deadline_in_s=3,
    )
    # Then the run fails now
    assert not decision.retry
    assert "deadline" in decision.reason


def test_an_attempt_never_outlives_the_deadline() -> None:
    limits = time_limits_of(fail.with_overrides(timeout_s=30, soft_timeout_s=20), deadline_in_s=10)
    assert limits.hard_s == 10 and limits.soft_s == 9
