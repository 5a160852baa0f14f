"""The Lua scripts that change run state atomically, loaded from `worker/store/lua/`.

Each script names its KEYS and ARGV at its top and says what it returns; `worker.store.writes`
builds its calls and turns each reply into a typed value.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Literal, get_args

from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from redis.commands.core import AsyncScript, Script

ScriptName = Literal[
    "create",
    "resolve",
    "claim",
    "renew",
    "settle",
    "append_event",
    "checkpoint",
    "cancel",
    "retry",
    "expire",
    "redispatch",
    "rescore",
    "count",
    "forget",
    "list_runs",
]
SCRIPT_NAMES: tuple[ScriptName, ...] = get_args(ScriptName)
LIBRARY = ("_metrics", "_lib")
"""Shared functions, prepended to every script in this order."""


def source(name: str) -> str:
    return (files("actionpool.worker.store") / "lua" / f"{name}.lua").read_text(encoding="utf-8")


def full_source(name: ScriptName) -> str:
    """A script as Redis runs it: the shared functions, then the script itself."""
    return "\n".join([*(source(part) for part in LIBRARY), source(name)])


def register_sync(client: Redis) -> dict[ScriptName, Script]:
    return {name: client.register_script(full_source(name)) for name in SCRIPT_NAMES}


def register_async(client: AsyncRedis) -> dict[ScriptName, AsyncScript]:
    return {name: client.register_script(full_source(name)) for name in SCRIPT_NAMES}
