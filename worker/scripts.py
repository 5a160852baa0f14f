"""The Lua scripts that change run state atomically, loaded from `worker/lua/`."""

from __future__ import annotations

import dataclasses
from importlib.resources import files
from typing import Any

from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from redis.commands.core import AsyncScript, Script


def _source(name: str) -> str:
    return (files("worker") / "lua" / f"{name}.lua").read_text(encoding="utf-8")


@dataclasses.dataclass(frozen=True)
class ScriptCall:
    """The keys and arguments of one script call, built once for a sync or an async client."""

    keys: list[str]
    args: list[str | int]


@dataclasses.dataclass(frozen=True)
class Scripts:
    """Every state-changing script, registered on one Redis client (sync or asyncio)."""

    create: Any
    discard: Any
    claim: Any
    settle: Any
    append_event: Any
    renew: Any
    checkpoint: Any
    cancel: Any
    expire: Any
    count: Any

    @classmethod
    def register(cls, client: Redis | AsyncRedis) -> Scripts:
        library = f"{_source('_metrics')}\n{_source('_lib')}"  # shared functions first

        def load(name: str) -> Script | AsyncScript:
            return client.register_script(f"{library}\n{_source(name)}")

        return cls(**{field.name: load(field.name) for field in dataclasses.fields(cls)})
