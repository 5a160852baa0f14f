"""Attempt messages are Celery's and kombu's own: this snapshot of one fails when an upgrade
of celery or kombu changes their envelope, so the change is looked at (a real `celery worker`
must still consume it: the e2e and fault suites run on such messages) before the snapshot is
renewed with `ACTIONPOOL_RENEW_SNAPSHOT=1 pytest tests/unit/worker/broker`."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import celery
import kombu

from actionpool.worker.broker.app import create_celery_app
from actionpool.worker.broker.envelope import PUSHED_MS_HEADER, Envelopes, pushed_ms_of, run_id_of
from actionpool.worker.settings import PoolSettings
from actionpool.worker.store.keys import Keys

SNAPSHOT = Path(__file__).with_name("envelope.snapshot.json")
VARYING = {("headers", "origin"), ("properties", "reply_to"), ("properties", "delivery_tag")}
"""Fields that differ between any two messages (process, app, uuid): shown as `<varies>`."""


def envelopes(prefix: str = "snap:") -> Envelopes:
    return Envelopes(create_celery_app(PoolSettings(key_prefix=prefix)))


def attempt_message(builder: Envelopes, countdown_s: float = 0) -> Any:
    return builder.attempt(
        "run-1",
        2,
        "default",
        soft_limit_s=9,
        hard_limit_s=10,
        countdown_s=countdown_s,
        pushed_ms=1_764_000_000_000,
        headers={"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
    )


def normalised(payload: str) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(payload)
    for section, field in VARYING:
        assert message[section][field], (section, field)
        message[section][field] = "<varies>"
    return message


def test_an_attempt_message_is_the_envelope_of_the_snapshot() -> None:
    # Given the message of attempt 2 of a run, built by Celery and kombu
    message = attempt_message(envelopes())
    found = {
        "versions": {"celery": celery.__version__, "kombu": kombu.__version__},
        "key": message.key,
        "payload": normalised(message.payload),
    }
    if os.environ.get("ACTIONPOOL_RENEW_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(found, indent=2) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    # Then it is exactly the snapshot's envelope (whatever the versions)
    assert (found["key"], found["payload"]) == (expected["key"], expected["payload"]), (
        f"celery {celery.__version__} / kombu {kombu.__version__} build another envelope than "
        f"celery {expected['versions']['celery']} / kombu {expected['versions']['kombu']} did"
    )


def test_the_message_carries_only_ids_limits_and_the_trace() -> None:
    message = attempt_message(envelopes())
    payload = json.loads(message.payload)
    args, kwargs, _embed = json.loads(base64.b64decode(payload["body"]))
    assert (args, kwargs) == (["run-1", 2], {})
    assert payload["headers"]["id"] == "run-1.2"
    assert payload["headers"]["timelimit"] == [10, 9]
    assert payload["headers"][PUSHED_MS_HEADER] == 1_764_000_000_000
    assert (pushed_ms_of(message.payload), run_id_of(message.payload)) == (
        1_764_000_000_000,
        "run-1",
    )


def test_a_countdown_becomes_celery_s_eta() -> None:
    payload = json.loads(attempt_message(envelopes(), countdown_s=30).payload)
    assert payload["headers"]["eta"] is not None


def test_kombu_names_the_queue_s_list_as_the_store_s_keys_do() -> None:
    message = attempt_message(envelopes("pool-a:"))
    assert message.key == Keys("pool-a:").queue("default") == "pool-a:default"
