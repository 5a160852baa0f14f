"""The command line talks to the pool over HTTP only: nothing of the API, the worker or the
actions is imported by `actionpool.console`."""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_layering import imported_modules, matches

CONSOLE = Path(__file__).resolve().parents[3] / "actionpool" / "console"


def test_the_console_imports_nothing_of_the_pool_but_itself() -> None:
    pool = ("actionpool.api", "actionpool.worker", "actionpool.actions")
    offenders = {
        path.name: sorted(m for m in imported_modules(path) if any(matches(m, p) for p in pool))
        for path in sorted(CONSOLE.glob("*.py"))
    }
    assert {name: found for name, found in offenders.items() if found} == {}
