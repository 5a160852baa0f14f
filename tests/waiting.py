"""Waiting on a condition instead of sleeping a guessed time: the test goes on as soon as the
condition holds, and fails with what it waited for if it never does."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

POLL_S = 0.02


def wait_until(condition: Callable[[], T], *, timeout_s: float = 20, what: str = "") -> T:
    """The first truthy value of `condition()`, polled every 20 ms; AssertionError after
    `timeout_s` (a bound against hanging, not a measured time)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting after {timeout_s:g} s for {what or condition}")
        time.sleep(POLL_S)
