from __future__ import annotations

import dataclasses
import json

import pytest

from actionpool.actions.builtin.debug import log as debug_log
from actionpool.actions.errors import InputValidationError
from actionpool.api.distributed import listing, name_of, names_of, shared_names, split_input


def test_a_pool_id_becomes_a_name_without_colons() -> None:
    assert name_of("debug:sleep") == "debug.sleep"
    assert name_of("gitlab:projectAccessToken:create") == "gitlab.projectAccessToken.create"


def test_ids_that_would_share_a_name_are_not_listed() -> None:
    # Given two actions whose ids differ only in ':' against '.'
    a = dataclasses.replace(debug_log, id="a:b.c")
    b = dataclasses.replace(debug_log, id="a.b:c")
    # When they are named for Backstage
    names = names_of([a, b, debug_log])
    # Then neither is listed, the others are, and the clash is named (the API logs it)
    assert set(names) == {"debug.log"}
    assert shared_names([a, b, debug_log]) == {"a.b.c": ["a:b.c", "a.b:c"]}


def test_the_listing_keeps_the_action_schema_untouched() -> None:
    before = debug_log.input_schema
    listed = listing([debug_log], "actionpool").actions[0]
    assert "actionpool" in listed.schema_.input["properties"]
    assert debug_log.input_schema == before
    assert listed.attributes.read_only and not listed.attributes.destructive


def test_the_context_property_is_taken_out_of_the_input() -> None:
    action_input, context = split_input({"message": "hi", "actionpool": {"taskId": "t"}})
    assert action_input == {"message": "hi"}
    assert context.task_id == "t" and context.run_context().task_id == "t"


def test_no_context_property_is_an_empty_context() -> None:
    action_input, context = split_input({"message": "hi"})
    assert action_input == {"message": "hi"} and context.task_id is None


@pytest.mark.parametrize("bad", [{"taskId": 1}, {"unknown": "x"}, "t-1", {"stepId": "s" * 300}])
def test_a_malformed_context_is_a_422_naming_its_path(bad: object) -> None:
    with pytest.raises(InputValidationError) as raised:
        split_input({"actionpool": bad})
    assert raised.value.details[0]["path"].startswith("actionpool")


def test_the_context_schema_refers_to_nothing_outside_itself() -> None:
    # It sits inside each action's input schema, where "#/$defs/..." means the input's root
    listed = listing([debug_log], "actionpool").actions[0]
    context = listed.schema_.input["properties"]["actionpool"]
    assert "$ref" not in json.dumps(context) and "$defs" not in context
    assert "entity" in context["properties"]["user"]["anyOf"][0]["properties"]


def test_the_users_entity_travels_in_the_context() -> None:
    entity = {"kind": "User", "metadata": {"name": "alice"}}
    _, context = split_input(
        {"actionpool": {"user": {"ref": "user:default/alice", "entity": entity}}}
    )
    assert context.user is not None and context.user.entity == entity
