"""A run's secret stays inside its action. Runs of actions that log it, output it and fail
with it (`tests/e2e/leakactions.py`) go through a real pool on a Redis of its own (AOF on,
fsync always), with JSON logs and spans exported to a real OTLP receiver; then the secret is
searched for in every place the pool keeps or shows anything: every Redis key of every type,
the AOF on disk, the Celery messages (bodies decoded), the run resources, their events as JSON
and as SSE, every log line of the API and the worker, every exported span, `/metrics` and
`/v1/stats`. It is in none; where it was shown, its masked form is.

The search is proven on the same evidence: a value planted in every one of those places (Redis
keys of each type and a base64 message written by the test, a run without secrets whose input,
template and step carry it, a plugin entry point named after it that fails to load, which both
processes log) is found in every one of them.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from cryptography.fernet import Fernet

from tests.e2e.leaks import (
    Dump,
    aof_commands,
    aof_files,
    kombu_envelope,
    messages_in,
    redis_dump,
    sse_data,
    text,
)
from tests.e2e.otlp import ReceivedSpan, Receiver
from tests.e2e.pools import FaultPool, install_plugin, own_pool
from tests.redis_server import RedisServer
from tests.secrets_keys import SECRETS_KEYS

SECRET = f"s3cr3t-{uuid.uuid4()}"
PLANTED = f"planted-{uuid.uuid4().hex}"
MASK = "***"

PLUGIN = Path(__file__).with_name("leakactions.py")
ENTRY_POINTS = {"leak": "leakactions:ACTIONS", PLANTED: "leakactions:NO_SUCH_ACTIONS"}
AOF_AS_WRITTEN = ("--auto-aof-rewrite-percentage", "0", "--aof-use-rdb-preamble", "no")
"""Every write stays in the AOF as a RESP command (no rewrite folds the history away)."""

LEAKY = {
    "leak:log": {"url": "{receiver}/ping"},
    "leak:output": {},
    "leak:fail": {},
}
"""The runs holding the secret: action -> input."""
ATTEMPT_SPANS = ["leak:log attempt 1", "leak:output attempt 1", "leak:fail attempt 1",
                 "leak:fail attempt 2", "debug:log attempt 1"]  # fmt: skip


@dataclasses.dataclass
class Evidence:
    places: dict[str, str]
    """Place -> everything it holds, as text."""
    runs: dict[str, dict[str, Any]]
    """Action -> its run, as `GET /v1/runs/{id}` answered."""
    events: dict[str, list[dict[str, Any]]]
    sse: dict[str, list[dict[str, Any]]]
    worker_lines: list[dict[str, Any]]
    spans: list[ReceivedSpan]
    key_types: set[str]
    sealed: list[str]
    """The values SET on the runs' secrets keys, as the AOF recorded them."""

    def holding(self, value: str) -> list[str]:
        return sorted(place for place, found in self.places.items() if value in found)


def plant(client: redis.Redis, prefix: str) -> list[str]:
    """Keys of every type holding `PLANTED`, and a queued message whose body (base64) holds it."""
    keys = [f"{prefix}planted:{kind}" for kind in ("string", "hash", "list", "set", "zset")]
    client.set(keys[0], PLANTED)
    client.hset(keys[1], "field", PLANTED)
    client.rpush(keys[2], PLANTED)
    client.sadd(keys[3], PLANTED)
    client.zadd(keys[4], {PLANTED: 1})
    keys.append(f"{prefix}planted:stream")
    client.xadd(keys[5], {"field": PLANTED})
    keys.append(f"{prefix}planted-queue")
    client.lpush(keys[6], kombu_envelope([[PLANTED, 1], {}, {}]))
    return keys


def start_runs(pool: FaultPool, receiver: Receiver) -> dict[str, httpx.Response]:
    """The run planting the value, then one run of each leaky action; each waited for."""
    planted_context = {"templateRef": f"template:default/{PLANTED}", "stepId": PLANTED}
    answers = {
        "debug:log": pool.start_run(
            "debug:log", {"message": PLANTED}, wait_s=30, context=planted_context
        )
    }
    for action_id, template in LEAKY.items():
        input = {k: v.format(receiver=receiver.endpoint) for k, v in template.items()}
        context = {"templateRef": "template:default/leaky", "stepId": action_id}
        answers[action_id] = pool.start_run(
            action_id, input, wait_s=30, context=context, secrets={"token": SECRET}
        )
    return answers


def read_runs(pool: FaultPool, answers: dict[str, httpx.Response]) -> dict[str, Any]:
    """Each run, its events as JSON and as SSE, and the pool's metrics and stats."""
    read: dict[str, Any] = {"runs": {}, "events": {}, "sse": {}, "texts": {}}
    for action_id, answer in answers.items():
        run_id = answer.json().get("run", answer.json())["id"]
        run = pool.wait_run(run_id, failOnError="false")
        assert run["status"] in ("completed", "failed"), run
        events = pool.http.get(f"/v1/runs/{run_id}/events")
        stream = pool.http.get(f"/v1/runs/{run_id}/events", headers={"Accept": "text/event-stream"})
        read["runs"][action_id] = run
        read["events"][action_id] = events.json()
        read["sse"][action_id] = sse_data(stream.text)
        read["texts"].setdefault("run resources", []).extend([answer.text, json.dumps(run)])
        read["texts"].setdefault("events (JSON)", []).append(events.text)
        read["texts"].setdefault("events (SSE)", []).append(stream.text)
    read["texts"]["/metrics"] = [pool.http.get("/metrics").text]
    read["texts"]["/v1/stats"] = [
        pool.http.get("/v1/stats", params={"groupBy": by, "since": "1h"}).text
        for by in ("template", "owner", "action")
    ]
    return read


def messages(values: list[str]) -> str:
    """The Celery messages among `values`: each envelope, then its decoded body."""
    found = [m for value in values for m in messages_in(value)]
    return "\n".join(f"{json.dumps({**m, 'body': None})}\n{m['body']}" for m in found)


def gather(
    pool: FaultPool, server: RedisServer, receiver: Receiver, read: dict[str, Any], dump: Dump
) -> Evidence:
    """Every place, as text, once the pool has stopped (its logs complete, its children's
    spans flushed): what it answered (`read`), what Redis held (`dump`), its AOF, its logs."""
    key_types, values = dump
    logs = {service.name: service.log() for service in [pool.api, *pool.workers]}
    worker_logs = [log for name, log in logs.items() if name != "api"]
    aof = b"".join(path.read_bytes() for path in aof_files(server.data_dir))
    commands = aof_commands(aof)
    written = [text(arg) for command in commands for arg in command]
    stored = [v for found in values.values() for v in found]
    places = {name: "\n".join(found) for name, found in read["texts"].items()}
    places |= {
        "redis keys": "\n".join(f"{key}\n" + "\n".join(found) for key, found in values.items()),
        "aof": text(aof) + "\n" + messages(written),
        "celery messages": messages(written + stored),
        "api log": logs["api"],
        "worker log": "\n".join(worker_logs),
        "spans": repr(receiver.spans),
    }
    return Evidence(
        places=places,
        runs=read["runs"],
        events=read["events"],
        sse=read["sse"],
        worker_lines=[
            json.loads(line) for log in worker_logs for line in log.splitlines() if line[:1] == "{"
        ],
        spans=list(receiver.spans),
        key_types=set(key_types.values()),
        sealed=[
            text(c[2]) for c in commands if c[0].upper() == b"SET" and c[1].endswith(b":secrets")
        ],
    )


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Evidence]:
    root = tmp_path_factory.mktemp("leak")
    server = RedisServer(root / "redis", extra=AOF_AS_WRITTEN)
    server.start()
    receiver = Receiver().start()
    env = {
        "PYTHONPATH": str(install_plugin(root / "site", PLUGIN, ENTRY_POINTS)),
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "ACTIONPOOL_LOG_FORMAT": "json",
    }
    client = redis.Redis.from_url(server.url)
    try:
        with own_pool(server.url, root, **env) as pool:
            planted = plant(client, pool.prefix)
            read = read_runs(pool, start_runs(pool, receiver))
            receiver.wait_for(lambda got: set(ATTEMPT_SPANS) <= {s.name for s in got})
            dump = redis_dump(client)
            client.delete(*planted)
        yield gather(pool, server, receiver, read, dump)
    finally:
        receiver.stop()
        if server.process and server.process.poll() is None:
            server.kill()


def test_the_search_finds_a_value_planted_in_every_place(evidence: Evidence) -> None:
    # Given a value planted in Redis (keys of every type, a queued message), in a run
    # without secrets (its input, template and step), and in the logs (a broken plugin's name)
    # Then the search finds it in every place it searches
    assert evidence.holding(PLANTED) == sorted(evidence.places)
    # And it read keys of every type, and the messages' bodies decoded: the pool's own too
    assert {"string", "hash", "list", "set", "zset", "stream"} <= evidence.key_types
    assert PLANTED not in kombu_envelope([[PLANTED, 1], {}, {}])  # only its decoded body has it
    for run in evidence.runs.values():
        assert f'[["{run["id"]}", 1]' in evidence.places["celery messages"], run["id"]


def test_the_secret_is_nowhere_outside_the_action(evidence: Evidence) -> None:
    # Given runs that logged the secret, output it and failed with it, and had it sealed
    assert len(evidence.sealed) == len(LEAKY)
    for sealed in evidence.sealed:  # (what the AOF holds of the secrets themselves)
        assert json.loads(Fernet(SECRETS_KEYS[0]).decrypt(sealed)) == {"token": SECRET}
    # Then the secret is in no place the pool keeps or shows anything
    assert evidence.holding(SECRET) == []
    # And the secrets were deleted when the runs ended
    assert all(not key.endswith(":secrets") for key in evidence.places["redis keys"].split())


def test_where_the_secret_was_shown_it_is_masked(evidence: Evidence) -> None:
    # The output, in the run, its completion event and the SSE stream
    masked_output = {
        "token": MASK,
        "remote": f"https://x-access-token:{MASK}@git.example.com/acme/svc.git",
        "headers": {"Authorization": f"Bearer {MASK}"},
        "tokens": ["first", MASK],
    }
    assert evidence.runs["leak:output"]["output"] == masked_output
    assert evidence.events["leak:output"][-1]["body"]["output"] == masked_output
    assert evidence.sse["leak:output"][-1]["body"]["output"] == masked_output
    # The log lines, in the run's events and in the worker's JSON log
    logged = [e["body"]["message"] for e in evidence.events["leak:log"] if e["type"] == "log"]
    assert f"logged in with {MASK}" in logged
    assert f"recovered from an error about {MASK}" in logged
    worker = [line["message"] for line in evidence.worker_lines]
    for line in (f"logged in with {MASK}", f"library saw {MASK}", f"stdout saw {MASK}"):
        assert line in worker, line
    assert any(f"access_token={MASK}" in line for line in worker)  # httpx's request line
    # The error, in the run, its attempts, its events and the spans
    failed = evidence.runs["leak:fail"]
    assert failed["error"] == {
        "name": "NonRetryableActionError",
        "message": f"push refused for token {MASK}",
    }
    assert failed["attempts"][0]["error"]["message"] == f"attempt 1 failed with token {MASK}"
    assert evidence.sse["leak:fail"][-1]["body"]["error"] == failed["error"]
    retried = [e["body"]["message"] for e in evidence.events["leak:fail"] if e["type"] == "log"]
    assert any(f"attempt 1 failed with token {MASK}; retrying" in m for m in retried)
    (push,) = [s for s in evidence.spans if s.name == "push"]
    assert push.status_message == f"attempt 1 failed with token {MASK}"
    assert push.attributes["vcs.repository.url.full"] == f"https://x:{MASK}@git.example.com"
    (call,) = [s for s in evidence.spans if s.name == "call out"]
    assert call.attributes["leak.url"] == f"https://api.example.com/?token={MASK}"
