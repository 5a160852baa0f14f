"""`Redactor`: keeps a run's secret values out of its log events and error messages."""

from __future__ import annotations

from collections.abc import Iterable

MASK = "***"
MIN_SECRET_LENGTH = 4
"""Shorter values are not masked: masking "1" or "on" would garble every line."""


class Redactor:
    def __init__(self, secret_values: Iterable[str]) -> None:
        values = {v for v in secret_values if len(v) >= MIN_SECRET_LENGTH}
        self._values = sorted(values, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, MASK)
        return text
