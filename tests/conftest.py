"""Shared fixtures: a real Redis at 127.0.0.1:6379 (or ACTIONPOOL_TEST_REDIS_URL), one key
prefix per test so tests never see each other's keys."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis

from tests.measurements import MEASURED

TEST_REDIS_URL = os.environ.get("ACTIONPOOL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
MARK_BY_FOLDER = {
    "integration": pytest.mark.integration,
    "e2e": pytest.mark.e2e,
    "faults": pytest.mark.faults,
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by its folder, so `-m "not e2e"` and friends work."""
    for item in items:
        for folder, mark in MARK_BY_FOLDER.items():
            if f"/tests/{folder}/" in str(item.path):
                item.add_marker(mark)


def delete_prefix(client: redis.Redis, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])


@pytest.fixture(scope="session")
def redis_url() -> str:
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"the tests need a Redis at {TEST_REDIS_URL} (.ci/run starts one): {exc}")
    return TEST_REDIS_URL


@pytest.fixture
def key_prefix(redis_url: str) -> Iterator[str]:
    prefix = f"aptest:{uuid.uuid4().hex[:12]}:"
    yield prefix
    delete_prefix(redis.Redis.from_url(redis_url), prefix)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """What the tests measured (`tests.measurements.report`), one section each."""
    for section, lines in MEASURED.items():
        terminalreporter.section(f"{section}: measured")
        for line in lines:
            terminalreporter.write_line(line)
