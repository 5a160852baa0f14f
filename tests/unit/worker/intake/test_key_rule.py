"""Idempotency keys a caller gives: 1-255 characters of letters, digits and `. _ : @ / + = -`."""

from __future__ import annotations

import pytest

from actionpool.actions.errors import MalformedRequestError
from actionpool.api import openapi
from actionpool.worker.intake.idempotency import (
    KEY_PATTERN,
    MAX_KEY_LENGTH,
    check_key,
    derive_key,
    parse_key_header,
)
from actionpool.worker.store.records import RunContext

TASK_ID = "8d8990e1-8d13-4c43-83ab-1807fa1b0c6f"  # Backstage task ids are UUIDs


@pytest.mark.parametrize(
    "key",
    [
        f"{TASK_ID}:fetch-base",  # Backstage's taskId:stepId, as a template may write it
        f"{TASK_ID}:publish_github.v2",
        f"{TASK_ID}:step-1",
        "01HZX3J9Q8V5K2M4N6P7R8S9T0",  # a ULID
        "dGhpcyBpcyBiYXNlNjQ+Lw==",  # base64
        "dGhpcyBpcyBiYXNlNjQ-_w",  # base64url
        "template:default/create-service@2",
        "k" * MAX_KEY_LENGTH,
    ],
)
def test_keys_of_the_usual_shapes_pass(key: str) -> None:
    assert check_key(key) == key
    assert parse_key_header(key) == key
    assert parse_key_header(f'"{key}"') == key


@pytest.mark.parametrize(
    "key",
    ["", "k" * (MAX_KEY_LENGTH + 1), "with space", "tab\tkey", "nul\x00", "émigré", 'a"b', "a\\b"],
)
def test_other_keys_are_a_400_that_does_not_echo_them(key: str) -> None:
    with pytest.raises(MalformedRequestError) as refused:
        check_key(key)
    assert "1-255 characters of letters, digits and . _ : @ / + = -" in refused.value.message
    assert key not in refused.value.message or not key


def test_a_huge_key_is_refused_by_its_length_without_being_shown() -> None:
    with pytest.raises(MalformedRequestError, match=r"this one has 100000 characters"):
        check_key("k" * 100_000)


def test_a_key_derived_from_backstage_is_not_held_to_the_alphabet() -> None:
    # Given a Backstage step whose id has a space (Backstage does not restrict step ids)
    context = RunContext(task_id=TASK_ID, step_id="Publish to GitHub")
    # Then the derived key is used as it is (it is stored as a digest)
    assert derive_key(None, None, context) == f"{TASK_ID}:Publish to GitHub"


def test_the_served_document_states_the_rule_the_intake_enforces() -> None:
    # The API may not import the intake's rule: its copy must be the same rule
    assert KEY_PATTERN.pattern == openapi.KEY_PATTERN
    assert openapi.MAX_KEY_LENGTH == MAX_KEY_LENGTH
