"""`Envelopes`: attempt messages built by Celery's and kombu's own code, ready to be put on
their queue by a store script (so a run's record and its message are written in one step).

Celery's `send_task` runs as usual (routing, the task message protocol, the producer's
serialisation, kombu's Redis envelope with its delivery tag and body encoding, the queue name
with the key prefix and priority); only kombu's last step, the `LPUSH` onto the queue's list,
is taken out of its hands and given to the caller as a `Message`. A real `celery worker`
consumes such a message unchanged; `tests/unit/worker/broker/test_envelope.py` compares it
with what a real publish writes, and with a snapshot that changes only if Celery or kombu
change their format.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from typing import Any, cast

from celery import Celery
from kombu import Connection, Producer
from kombu.transport import redis as kombu_redis
from kombu.transport.virtual import base as kombu_virtual
from kombu.utils.json import dumps

from actionpool.worker.broker.app import TASK_NAME
from actionpool.worker.store.changes import Message

PUSHED_MS_HEADER = "actionpool_pushed_ms"
"""Message header: when the message was put on its queue (the sweep's guard reads it)."""


@dataclasses.dataclass(frozen=True)
class Captured:
    key: str
    payload: str


class EnvelopeChannel(kombu_redis.Channel):
    """kombu's Redis channel for building messages, not sending them: no connection (kombu's
    own constructor pings Redis), bindings from the app's queues instead of from Redis, and
    the list push kept instead of done."""

    def __init__(self, connection: Any, queues: Any) -> None:
        kombu_virtual.Channel.__init__(self, connection)
        self.app_queues = queues
        self.captured: list[Captured] = []

    def get_table(self, exchange: str) -> list[tuple[str, str, str]]:
        return [
            (queue.routing_key, "", queue.name)
            for queue in self.app_queues.values()
            if queue.exchange.name == exchange
        ]

    def _put(self, queue: str, message: dict[str, Any], **kwargs: Any) -> None:
        kombu_channel = cast(Any, self)  # kombu's own naming of the queue's list
        priority = kombu_channel._get_message_priority(message, reverse=False)
        key = f"{kombu_channel.global_keyprefix}{kombu_channel._q_for_pri(queue, priority)}"
        self.captured.append(Captured(key, dumps(message)))

    def close(self) -> None:
        self.closed = True


class Envelopes:
    """Builds the message of one attempt of a run (thread-safe)."""

    def __init__(self, celery: Celery) -> None:
        self.celery = celery
        self._connection = Connection(
            celery.conf.broker_url, transport_options=celery.conf.broker_transport_options
        )
        self._channel = EnvelopeChannel(self._connection.transport, celery.amqp.queues)
        self._producer = Producer(self._channel, auto_declare=False)
        self._lock = threading.Lock()

    def attempt(
        self,
        run_id: str,
        attempt: int,
        queue: str,
        *,
        soft_limit_s: float,
        hard_limit_s: float,
        countdown_s: float,
        pushed_ms: int,
        headers: dict[str, str],
    ) -> Message:
        """The message of `attempt` of a run: task `actionpool.run_attempt(run_id, attempt)`,
        id `<run id>.<attempt>`, with its time limits, countdown and trace headers."""
        with self._lock:
            self._channel.captured.clear()
            self.celery.send_task(
                TASK_NAME,
                args=[run_id, attempt],
                queue=queue,
                task_id=f"{run_id}.{attempt}",
                soft_time_limit=soft_limit_s,  # type: ignore[arg-type]  # floats work
                time_limit=hard_limit_s,  # type: ignore[arg-type]
                countdown=countdown_s if countdown_s > 0 else None,
                headers={**headers, PUSHED_MS_HEADER: pushed_ms},
                producer=self._producer,
                retry=False,
                declare=[],
                add_to_parent=False,
            )
            (captured,) = self._channel.captured
        return Message(queue=queue, key=captured.key, payload=captured.payload, pushed_ms=pushed_ms)


def header(payload: str | None, name: str) -> Any:
    """A header of a raw message as kombu stores it (None if absent or unreadable)."""
    if payload is None:
        return None
    try:
        return json.loads(payload)["headers"].get(name)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def pushed_ms_of(payload: str | None) -> int | None:
    """When a raw message was put on its queue."""
    value = header(payload, PUSHED_MS_HEADER)
    return value if isinstance(value, int) else None


def run_id_of(payload: str | None) -> str | None:
    """The run a raw message is an attempt of (its task id is `<run id>.<attempt>`)."""
    task_id = header(payload, "id")
    return task_id.rsplit(".", 1)[0] if isinstance(task_id, str) else None
