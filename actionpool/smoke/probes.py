"""Which run proves each queue works: pure choices from the pool's own action listing.

A probe must be harmless in production, so by default a queue is probed with a dry run
(`dryRun: true`) of an action on it that supports dry runs and serves an example input, the
`debug:log` action first. An operator may name the action for a queue (`--probe
queue=action`); that action's first example then runs for real."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

PREFERRED = ("debug:log",)
"""Actions tried first for a queue, when they are on it."""


@dataclasses.dataclass(frozen=True)
class Probe:
    queue: str
    action_id: str
    body: dict[str, Any]
    """The request body: `{"input": ..., "dryRun": ...}`."""


@dataclasses.dataclass(frozen=True)
class NoProbe:
    queue: str
    reason: str


def example_input(action: Mapping[str, Any]) -> dict[str, Any] | None:
    """The input of the action's first example that is a JSON request body, if any."""
    for example in action.get("examples", []):
        try:
            body = json.loads(example.get("example", ""))
        except (json.JSONDecodeError, TypeError):
            continue
        given = body.get("input") if isinstance(body, dict) else None
        if isinstance(given, dict):
            return given
    return None


def ordered(actions: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The preferred actions first, then the rest by id."""
    rank = {action_id: i for i, action_id in enumerate(PREFERRED)}
    return sorted(actions, key=lambda a: (rank.get(a["id"], len(rank)), a["id"]))


def probe_for(
    queue: str, actions: Sequence[Mapping[str, Any]], named: str | None = None
) -> Probe | NoProbe:
    """The probe of one queue: the named action run for real, else a dry run."""
    on_queue = [a for a in ordered(actions) if a.get("queue") == queue]
    if named is not None:
        chosen = [a for a in on_queue if a["id"] == named]
        if not chosen:
            return NoProbe(queue, f"{named} is not an action of queue {queue}")
        given = example_input(chosen[0])
        return Probe(queue, named, {"input": given or {}})
    for action in on_queue:
        given = example_input(action)
        if action.get("supportsDryRun") and given is not None:
            return Probe(queue, action["id"], {"input": given, "dryRun": True})
    return NoProbe(
        queue,
        f"no action of queue {queue} supports dry runs with an example: name one with "
        f"--probe {queue}=ACTION (its first example runs for real)",
    )


def plan(actions: Sequence[Mapping[str, Any]], named: Mapping[str, str]) -> list[Probe | NoProbe]:
    """A probe (or why there is none) for every queue an action of the pool is on."""
    queues = sorted({a["queue"] for a in actions} | set(named))
    return [probe_for(queue, actions, named.get(queue)) for queue in queues]


def parse_named(items: Sequence[str]) -> dict[str, str]:
    """`--probe long=git:publish` flags as {queue: action id}."""
    named = {}
    for item in items:
        queue, sep, action_id = item.partition("=")
        if not sep or not queue or not action_id:
            raise ValueError(f"--probe takes QUEUE=ACTION, not {item!r}")
        named[queue] = action_id
    return named
