"""A check's outcome, and the report of a whole smoke run (a table, or JSON/YAML)."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence

from rich.table import Table


class Verdict(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


@dataclasses.dataclass(frozen=True)
class Outcome:
    check: str
    verdict: Verdict
    detail: str
    seconds: float = 0.0


def passed(check: str, detail: str, seconds: float = 0.0) -> Outcome:
    return Outcome(check, Verdict.PASS, detail, seconds)


def failed(check: str, detail: str, seconds: float = 0.0) -> Outcome:
    return Outcome(check, Verdict.FAIL, detail, seconds)


def skipped(check: str, detail: str) -> Outcome:
    return Outcome(check, Verdict.SKIP, detail)


STYLE = {Verdict.PASS: "green", Verdict.FAIL: "bold red", Verdict.SKIP: "yellow"}


def report_table(outcomes: Sequence[Outcome]) -> Table:
    table = Table("check", "result", "s", "detail", title="actionpool smoke")
    for o in outcomes:
        verdict = f"[{STYLE[o.verdict]}]{o.verdict.upper()}[/]"
        table.add_row(o.check, verdict, f"{o.seconds:.1f}" if o.seconds else "", o.detail)
    return table


def report_data(outcomes: Sequence[Outcome]) -> dict[str, object]:
    return {
        "passed": exit_code(outcomes) == 0,
        "checks": [dataclasses.asdict(o) for o in outcomes],
    }


def exit_code(outcomes: Sequence[Outcome]) -> int:
    """1 when any check failed, else 0 (a skipped check is not a failure)."""
    return 1 if any(o.verdict == Verdict.FAIL for o in outcomes) else 0
