"""What one store operation sends to Redis and how its reply becomes a typed value.

An operation is built once (`worker.store.writes`, `worker.store.reads`) and run by either
face of the store: `RunStore` (sync, the workers) or `AsyncRunStore` (asyncio, the API).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from actionpool.worker.store.scripts import ScriptName

T = TypeVar("T")
Arg = str | int | float
Command = tuple[Arg, ...]


@dataclasses.dataclass(frozen=True)
class ScriptCall(Generic[T]):
    """One call of a Lua script (`worker/store/lua/<script>.lua`)."""

    script: ScriptName
    keys: list[str]
    args: list[Arg]
    decode: Callable[[Any], T]


@dataclasses.dataclass(frozen=True)
class Commands(Generic[T]):
    """Plain commands sent together (a MULTI/EXEC transaction unless `transaction` is off);
    `decode` gets their replies in order."""

    commands: list[Command]
    decode: Callable[[list[Any]], T]
    transaction: bool = True


Op = ScriptCall[T] | Commands[T]


def flat(pairs: dict[str, str]) -> list[Arg]:
    """Field/value pairs as one flat argument list."""
    return [item for pair in pairs.items() for item in pair]


def pairs(flat_list: list[Any]) -> dict[str, str]:
    """A flat `[field, value, ...]` reply as a dict."""
    return dict(zip(flat_list[::2], flat_list[1::2], strict=True))
