"""What the `fault:count` runs left behind, read back: how often each step's side effect ran,
which attempts ran when (and in which process), and which run each tagged request made."""

from __future__ import annotations

import dataclasses

import redis


@dataclasses.dataclass(frozen=True)
class Span:
    """When one attempt of a run was at work: its first and last step."""

    attempt: int
    first_s: float
    last_s: float
    pids: frozenset[int]


class Evidence:
    def __init__(self, redis_url: str, prefix: str) -> None:
        self.client = redis.Redis.from_url(redis_url, decode_responses=True)
        self.prefix = prefix

    def executions(self, run_id: str, steps: int) -> list[int]:
        """How often each step's side effect executed (0 for a step never reached)."""
        executed = self.client.hgetall(f"{self.prefix}executed")
        return [int(executed.get(f"{run_id}:{step}", 0)) for step in range(steps)]

    def spans(self, run_id: str) -> list[Span]:
        """Each attempt that got to work on the run, in attempt order."""
        seen: dict[int, list[tuple[float, int]]] = {}
        for entry in self.client.lrange(f"{self.prefix}trace:{run_id}", 0, -1):
            attempt, at, pid = entry.split()
            seen.setdefault(int(attempt), []).append((float(at), int(pid)))
        return [
            Span(
                n,
                min(t for t, _ in marks),
                max(t for t, _ in marks),
                frozenset(p for _, p in marks),
            )
            for n, marks in sorted(seen.items())
        ]

    def overlapping(self, run_id: str) -> bool:
        """True if two attempts of the run were at work at the same time."""
        spans = self.spans(run_id)
        return any(a.last_s >= b.first_s for a, b in zip(spans, spans[1:], strict=False))

    def redone(self, run_id: str, steps: int) -> int:
        """Step effects executed more than once."""
        return sum(max(0, n - 1) for n in self.executions(run_id, steps))

    def runs_of_tags(self) -> dict[str, str]:
        """Tag -> the run an attempt of which started with that tag."""
        return dict(self.client.hgetall(f"{self.prefix}tags"))
