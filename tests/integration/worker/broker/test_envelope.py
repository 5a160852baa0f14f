"""An attempt message built for a store script is what kombu itself would push: compared
with a real `send_task` publish onto the real Redis."""

from __future__ import annotations

import json

import redis

from actionpool.worker.broker.app import TASK_NAME, create_celery_app
from actionpool.worker.broker.envelope import Envelopes
from actionpool.worker.settings import PoolSettings

VARYING = {("headers", "origin"), ("properties", "delivery_tag")}


def without_varying(payload: str | bytes) -> dict[str, object]:
    message = json.loads(payload)
    for section, field in VARYING:
        message[section].pop(field)
    return dict(message)


def test_a_built_message_equals_what_a_real_publish_pushes(
    settings: PoolSettings, redis_url: str
) -> None:
    client = redis.Redis.from_url(redis_url)
    app = create_celery_app(settings)
    headers = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
    # Given the message the pool builds for attempt 3 of a run
    built = Envelopes(app).attempt(
        "run-9",
        3,
        "default",
        soft_limit_s=5,
        hard_limit_s=6,
        countdown_s=0,
        pushed_ms=7,
        headers=headers,
    )
    # When Celery publishes the same task itself, through kombu, onto the real Redis
    app.send_task(
        TASK_NAME,
        args=["run-9", 3],
        queue="default",
        task_id="run-9.3",
        soft_time_limit=5,
        time_limit=6,
        headers={**headers, "actionpool_pushed_ms": 7},
        add_to_parent=False,
    )
    [published] = client.lrange(built.key, 0, -1)
    # Then kombu pushed the same message onto the same list
    assert without_varying(built.payload) == without_varying(published)
