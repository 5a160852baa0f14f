"""`actionpool smoke` as a real process against real API and worker processes: every check
passes on a healthy pool with a trace backend, and a failing check makes it exit 1."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import pool_env
from tests.e2e.otlp import Receiver
from tests.e2e.pools import FaultPool
from tests.e2e.processes import ACTIONPOOL, start_api, start_worker
from tests.identity import ADMIN_TOKEN


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def traced_pool(
    redis_url: str, receiver: Receiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FaultPool]:
    """An API and a worker exporting their spans to the receiver (OTLP over HTTP)."""
    logs = tmp_path_factory.mktemp("smoke")
    env = pool_env(
        redis_url,
        f"apsmoke:{uuid.uuid4().hex[:8]}:",
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
        OTEL_BSP_SCHEDULE_DELAY="100",
    )
    pool = FaultPool(env, start_api(env, logs), logs)
    pool.workers.append(start_worker(env, logs))
    yield pool
    pool.http.close()
    for service in [pool.api, *pool.workers]:
        service.stop()


def smoke(url: str, *args: str, token: str = ADMIN_TOKEN) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACTIONPOOL_")}
    env["ACTIONPOOL_CONFIG"] = "/nonexistent/actionpool.yaml"
    command = [ACTIONPOOL, "smoke", "--url", url, "--token", token, "-o", "json", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def verdicts(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    report = json.loads(result.stdout)
    return {check["check"]: check["verdict"] for check in report["checks"]}


def test_every_check_passes_against_a_healthy_pool(
    traced_pool: FaultPool, receiver: Receiver
) -> None:
    # Given a running pool whose traces go to a backend answering trace queries
    # When the smoke check runs against it, naming the backend
    result = smoke(traced_pool.url, "--trace-query-url", receiver.endpoint)
    # Then every check passed (Backstage's listing is skipped: no Backstage URL)
    assert result.returncode == 0, result.stdout + result.stderr
    assert verdicts(result) == {
        "api ready": "pass",
        "queue default": "pass",
        "idempotent replay": "pass",
        "cancel": "pass",
        "metrics": "pass",
        "traces": "pass",
        "backstage actions": "skip",
    }


def test_a_failing_check_makes_it_exit_1_and_says_which(traced_pool: FaultPool) -> None:
    # Given a probe asked for a queue that no action of the pool is on
    # When the smoke check runs
    result = smoke(traced_pool.url, "--probe", "nosuch=debug:log")
    # Then that check failed, the others ran, and the exit code says so
    assert result.returncode == 1, result.stdout + result.stderr
    found = verdicts(result)
    assert (found["queue nosuch"], found["queue default"]) == ("fail", "pass")
    assert "is not an action of queue nosuch" in result.stdout


def test_a_pool_that_does_not_answer_fails_at_once(tmp_path: Path) -> None:
    # Given no pool at the URL; When the smoke check runs; Then it fails, with no traceback
    result = smoke("http://127.0.0.1:9")
    assert result.returncode == 1
    assert verdicts(result) == {"api ready": "fail"}
    assert "Traceback" not in result.stderr


def test_a_token_that_may_not_read_metrics_fails_that_check(traced_pool: FaultPool) -> None:
    # Given a wrong token; When the smoke check runs; Then it fails, saying why
    result = smoke(traced_pool.url, token="apt_not-a-token")
    assert result.returncode == 1
    assert "401" in result.stdout
