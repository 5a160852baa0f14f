"""What a run's input may be: plain JSON that survives storage and comes back unchanged,
and valid for its action's input model."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from actionpool.actions.action import Action
from actionpool.actions.errors import DryRunNotSupportedError, InputValidationError

MAX_INPUT_DEPTH = 32
"""Deepest nesting of objects and arrays accepted in an input. Over HTTP, a deeper body is
refused before it is parsed (`api.limits`, `ACTIONPOOL_MAX_JSON_DEPTH`, counted below the
body's own object: by default the same 32 for `input`); this holds for every other caller."""


def check_plain_json(value: Any, *, max_depth: int = MAX_INPUT_DEPTH) -> None:
    """Refuse (422) NaN and Infinity, text that is not valid Unicode, and deep nesting."""
    if _depth(value) > max_depth:
        _refuse(f"input is nested deeper than {max_depth} levels")
    try:
        json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except ValueError as exc:  # NaN/Infinity, or a lone surrogate (UnicodeEncodeError)
        _refuse(f"input is not plain JSON: {exc}")


def _depth(value: Any) -> int:
    """How many objects and arrays deep `value` is (a scalar is 0, `{}` is 1)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            todo.extend((child, level + 1) for child in item)
    return deepest


def _refuse(message: str) -> None:
    raise InputValidationError(message, [{"path": "input", "message": message}])


def validate_input(
    action: Action[Any, Any], input: dict[str, Any], *, dry_run: bool
) -> dict[str, Any]:
    """The input as the action's model reads it (the fingerprint's view), or a 422."""
    if dry_run and not action.supports_dry_run:
        raise DryRunNotSupportedError(f"{action.id} does not support dry runs")
    check_plain_json(input)
    try:
        parsed = action.parse_input(input)
    except ValidationError as exc:
        details = [
            {"path": ".".join(["input", *map(str, e["loc"])]), "message": e["msg"]}
            for e in exc.errors()
        ]
        listed = "; ".join(f"{d['path']}: {d['message']}" for d in details)
        raise InputValidationError(
            f"input does not match the schema of {action.id}: {listed}", details
        ) from None
    normalised: dict[str, Any] = parsed.model_dump(mode="json", by_alias=True)
    return normalised
