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

    @classmethod
    def register(cls, client: Redis | AsyncRedis) -> Scripts:
        library = _source("_lib")

        def load(name: str, with_library: bool = False) -> Script | AsyncScript:
            source = f"{library}\n{_source(name)}" if with_library else _source(name)
            return client.register_script(source)

        return cls(
            create=load("create"),
            discard=load("discard"),
            claim=load("claim", with_library=True),
            settle=load("settle", with_library=True),
            append_event=load("append_event", with_library=True),
            renew=load("renew"),
            checkpoint=load("checkpoint"),
            cancel=load("cancel", with_library=True),
            expire=load("expire", with_library=True),
        )
