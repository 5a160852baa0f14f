"""Idempotency keys: where a run's key comes from and what payload it stands for.

A key comes from, in order: the body's `idempotencyKey`, the `Idempotency-Key` header
(an RFC 8941 string, quoted, or a bare token), or `"{taskId}:{stepId}"` when the Backstage
context has both. The same key with the same fingerprint is the same run.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from actionpool.actions.errors import MalformedRequestError
from actionpool.worker.store.records import RunContext

MAX_KEY_LENGTH = 255


def parse_key_header(value: str) -> str:
    """The key in an `Idempotency-Key` header, quoted (`"abc"`) or bare (`abc`)."""
    value = value.strip()
    if value.startswith('"'):
        if len(value) < 2 or not value.endswith('"'):
            raise MalformedRequestError("Idempotency-Key: an unterminated quoted string")
        value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return check_key(value)


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise MalformedRequestError(
            f"idempotency key must be 1-{MAX_KEY_LENGTH} printable characters"
        )
    return key


def derive_key(body_key: str | None, header_key: str | None, context: RunContext) -> str | None:
    """The run's idempotency key, or None when the caller gave nothing to derive one from."""
    if body_key is not None:
        return check_key(body_key)
    if header_key is not None:
        return parse_key_header(header_key)
    if context.task_id and context.step_id:
        return f"{context.task_id}:{context.step_id}"
    return None


def fingerprint(action_id: str, input: Any, context: RunContext, dry_run: bool) -> str:
    """SHA-256 of the canonical JSON of what the run would do (secrets and the trace
    context, which differ between a call and its retry, are left out)."""
    payload = {
        "actionId": action_id,
        "input": input,
        "context": context.model_dump(
            mode="json", by_alias=True, exclude_none=True, exclude={"traceparent"}
        ),
        "dryRun": dry_run,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def digest(key: str) -> str:
    """The Redis-safe name of a key: SHA-256, so key length and characters never matter."""
    return hashlib.sha256(key.encode()).hexdigest()
