"""What a pool keeps or shows, read back as text to search for a value: every Redis key and
value (every type), the append-only file on disk command by command, and the Celery messages
among them with their base64 bodies decoded (a plaintext search of the raw message would miss
a value inside its body)."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import redis

READERS = {
    "string": lambda c, k: [c.get(k)],
    "hash": lambda c, k: [x for pair in c.hgetall(k).items() for x in pair],
    "list": lambda c, k: c.lrange(k, 0, -1),
    "set": lambda c, k: list(c.smembers(k)),
    "zset": lambda c, k: [m for m, _ in c.zrange(k, 0, -1, withscores=True)],
    "stream": lambda c, k: [
        x for _, fields in c.xrange(k) for pair in fields.items() for x in pair
    ],
}
"""Redis type -> every value a key of that type holds (member names, fields and values)."""


def text(value: bytes | str | None) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")


Dump = tuple[dict[str, str], dict[str, list[str]]]
"""Key -> its type, and key -> every value it holds."""


def redis_dump(client: redis.Redis) -> Dump:
    """Every key of the Redis by its type, and every value of each key (as text)."""
    types: dict[str, str] = {}
    values: dict[str, list[str]] = {}
    for key in client.scan_iter(count=1000):
        kind = text(client.type(key))
        if kind == "none":  # expired meanwhile
            continue
        types[text(key)] = kind
        values[text(key)] = [text(v) for v in READERS[kind](client, key)]
    return types, values


def aof_files(data_dir: Path) -> list[Path]:
    """The append-only file(s): `appendonly.aof` (Redis 6), or the parts under
    `appenddirname` (Redis 7); every file of the data dir, so neither is missed."""
    return sorted(p for p in data_dir.rglob("*") if p.is_file())


def aof_commands(data: bytes) -> list[list[bytes]]:
    """The commands of an AOF in the RESP form (`*<n>` then `$<len>` arguments)."""
    commands, i = [], 0
    while i < len(data):
        assert data[i : i + 1] == b"*", f"not a RESP command at byte {i} (an RDB preamble?)"
        end = data.index(b"\r\n", i)
        count, i = int(data[i + 1 : end]), end + 2
        args = []
        for _ in range(count):
            end = data.index(b"\r\n", i)
            length = int(data[i + 1 : end])
            args.append(data[end + 2 : end + 2 + length])
            i = end + 2 + length + 2
        commands.append(args)
    return commands


def messages_in(value: str) -> Iterator[dict[str, Any]]:
    """The kombu envelopes a value holds (a queued message, or an unacked entry that wraps
    one), each with its body decoded."""
    with contextlib.suppress(ValueError, TypeError):
        yield from _envelopes(json.loads(value))


def _envelopes(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        for item in value:
            yield from _envelopes(item)
    elif isinstance(value, dict) and "body" in value and "properties" in value:
        body = value["body"]
        if value["properties"].get("body_encoding") == "base64":
            body = base64.b64decode(body).decode("utf-8", "replace")
        yield {**value, "body": body}


def kombu_envelope(body: Any) -> str:
    """A message as kombu puts it on a queue, its body base64-encoded."""
    encoded = base64.b64encode(json.dumps(body).encode()).decode()
    properties = {"body_encoding": "base64", "delivery_tag": "planted"}
    return json.dumps(
        {
            "body": encoded,
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": {},
            "properties": properties,
        }
    )


def sse_data(stream: str) -> list[dict[str, Any]]:
    """The JSON `data:` of each event of a Server-Sent Events body."""
    return [json.loads(line[5:]) for line in stream.splitlines() if line.startswith("data:")]
