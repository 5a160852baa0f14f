"""Idempotency keys: where a run's key comes from and what payload it stands for.

A key comes from, in order: the body's `idempotencyKey`, the `Idempotency-Key` header
(an RFC 8941 string, quoted, or a bare token), or `"{taskId}:{stepId}"` when the Backstage
context has both. The same key with the same fingerprint is the same run.

A key a caller gives (body or header) is 1-255 characters of `KEY_ALPHABET`: letters, digits
and `. _ : @ / + = -`, enough for UUIDs, ULIDs, base64 and base64url, entity refs
(`template:default/x`) and Backstage's `taskId:stepId` with the usual step ids (`fetch-base`,
`publish_github`, `step-1`). Backstage does not restrict step ids: a key derived from
`context.taskId` and `context.stepId` is not held to the alphabet (those fields have their own
length limits), and the stored key is a digest either way.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from actionpool.actions.errors import MalformedRequestError
from actionpool.worker.store.records import RunContext

MAX_KEY_LENGTH = 255
KEY_ALPHABET = "A-Za-z0-9._:@/+=-"
"""The characters of a key a caller gives, as a regular-expression character class."""
KEY_PATTERN = re.compile(f"^[{KEY_ALPHABET}]{{1,{MAX_KEY_LENGTH}}}$")


def parse_key_header(value: str) -> str:
    """The key in an `Idempotency-Key` header, quoted (`"abc"`) or bare (`abc`)."""
    value = value.strip()
    if value.startswith('"'):
        if len(value) < 2 or not value.endswith('"'):
            raise MalformedRequestError("Idempotency-Key: an unterminated quoted string")
        value = value[1:-1]  # no escapes: neither a quote nor a backslash is in the alphabet
    return check_key(value)


def check_key(key: str) -> str:
    """A key a caller gave, or a 400 (which never echoes the key: it may be huge)."""
    if KEY_PATTERN.fullmatch(key) is None:
        found = (
            f"{len(key)} characters" if not 0 < len(key) <= MAX_KEY_LENGTH else "another character"
        )
        raise MalformedRequestError(
            f"an idempotency key is 1-{MAX_KEY_LENGTH} characters of letters, digits and "
            f". _ : @ / + = - (this one has {found})"
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
    """SHA-256 of the canonical JSON of what the run would do. Secrets, the trace context
    and the user who asks are left out: they differ between a call and its retry (Backstage
    retries a task with the token of whoever retried it), not what the run does."""
    payload = {
        "actionId": action_id,
        "input": input,
        "context": context.model_dump(
            mode="json", by_alias=True, exclude_none=True, exclude={"traceparent", "user_ref"}
        ),
        "dryRun": dry_run,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def digest(owner: str | None, key: str) -> str:
    """The Redis-safe name of a key: SHA-256, so key length and characters never matter; of
    the key within its run's owner, so two teams' equal keys name two runs."""
    return hashlib.sha256(f"{(owner or '').lower()}\n{key}".encode()).hexdigest()


def retry_digest(run_id: str, key: str) -> str:
    """The name of a retry's key (`POST /v1/runs/{id}/retry`): of the key within its run, and
    never equal to a run's (`digest`): what it hashes holds no newline."""
    return hashlib.sha256(f"retry\0{run_id}\0{key}".encode()).hexdigest()
