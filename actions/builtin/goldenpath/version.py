"""`SemVer`: a snippet's version, `MAJOR.MINOR.PATCH`, ordered as numbers (1.10.0 > 1.9.0)."""

from __future__ import annotations

import re
from typing import NamedTuple

SEMVER = re.compile(r"^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})$")


class SemVer(NamedTuple):
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> SemVer:
        """`"1.2.3"` as a SemVer; ValueError for anything else (no `v`, no pre-release)."""
        match = SEMVER.fullmatch(text)
        if match is None:
            raise ValueError(f"{text!r} is not a version MAJOR.MINOR.PATCH (such as 1.2.0)")
        return cls(*(int(part) for part in match.groups()))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


def is_version(text: str) -> bool:
    return SEMVER.fullmatch(text) is not None
