"""Figures tests measure (latencies, recovery times), shown in one summary after the run."""

from __future__ import annotations

MEASURED: dict[str, list[str]] = {}
"""Section -> lines, in the order reported."""


def report(section: str, line: str) -> None:
    print(line)
    MEASURED.setdefault(section, []).append(line)
