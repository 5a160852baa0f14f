"""`Redactor`: keeps a run's secret values out of its log events, error messages and output."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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

    def redact_json(self, value: Any) -> Any:
        """A JSON value (an action's output) with every string in it masked, object keys
        included; numbers, booleans and null as they are."""
        if not self._values:
            return value
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {self.redact(str(k)): self.redact_json(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact_json(item) for item in value]
        return value
