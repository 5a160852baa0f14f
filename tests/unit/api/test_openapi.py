"""The served OpenAPI document says the rules: one operation per action with that action's
input schema, the idempotency key's characters, the run id's format, the action id's pattern."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel

from actionpool.actions import ActionContext, ActionModel, action
from actionpool.actions.action import ACTION_ID_PATTERN
from actionpool.actions.builtin import DEBUG_ACTIONS
from actionpool.actions.registry import Registry
from actionpool.api.app import create_app
from actionpool.api.openapi import HEADER_KEY_PATTERN, KEY_PATTERN
from actionpool.api.settings import ApiSettings


class Item(ActionModel):
    name: str


class NestedInput(ActionModel):
    items: list[Item]
    owner: Item | None = None


class Empty(BaseModel):
    pass


@action("acme:nested", description="takes nested models")
def nested(input: NestedInput, ctx: ActionContext) -> Empty:
    return Empty()


@action("acme:other-nested", description="another model named Item")
def other(input: NestedInput, ctx: ActionContext) -> Empty:
    return Empty()


REGISTRY = Registry([*DEBUG_ACTIONS, nested, other])


def served() -> dict[str, Any]:
    document: dict[str, Any] = create_app(ApiSettings(auth_disabled=True), REGISTRY).openapi()
    return document


def create_operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        path: ops["post"]
        for path, ops in document["paths"].items()
        if re.fullmatch(r"/v1/actions/[^/]+/runs", path)
    }


def resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_starting_a_run_is_one_operation_per_action() -> None:
    # Given the document of an app with the built-in actions and two of its own
    document = served()
    operations = create_operations(document)
    # Then each action has its operation, the generic one is gone, and ids are unique
    assert set(operations) == {f"/v1/actions/{a.id}/runs" for a in REGISTRY}
    assert "/v1/actions/{actionId}/runs" not in document["paths"]
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    for operation in operations.values():
        assert "actionId" not in {p["name"] for p in operation["parameters"]}
        assert {"wait", "failOnError", "Idempotency-Key"} <= {
            p["name"] for p in operation["parameters"]
        }
        assert {"202", "200", "422", "503"} <= set(operation["responses"])


def test_each_operation_takes_its_actions_input_schema() -> None:
    document = served()
    operations = create_operations(document)
    for item in REGISTRY:
        body = operations[f"/v1/actions/{item.id}/runs"]["requestBody"]["content"]
        schema = body["application/json"]["schema"]
        # The input is the action's own schema, its nested models among the components
        expected = json.loads(
            json.dumps(item.input_schema).replace(
                '"#/$defs/', f'"#/components/schemas/{item.id.replace(":", ".")}.'
            )
        )
        expected.pop("$defs", None)
        assert schema["properties"]["input"] == expected
        assert schema["additionalProperties"] is False
        assert set(schema["properties"]) >= {"input", "idempotencyKey", "context", "dryRun"}
        if not item.supports_dry_run:
            assert schema["properties"]["dryRun"]["const"] is False
    # A body without `input` gives the action `{}`: allowed only where `{}` is valid input
    required = {
        path: "input"
        in op["requestBody"]["content"]["application/json"]["schema"].get("required", [])
        for path, op in operations.items()
        if path.startswith("/v1/actions/debug:")
    }
    assert required == {
        "/v1/actions/debug:fail/runs": False,
        "/v1/actions/debug:log/runs": True,
        "/v1/actions/debug:sleep/runs": True,
    }


def test_every_reference_in_the_document_resolves() -> None:
    document = served()
    refs = re.findall(r'"\$ref": "([^"]+)"', json.dumps(document))
    assert "#/components/schemas/acme.nested.Item" in refs
    assert "#/components/schemas/acme.other-nested.Item" in refs
    for ref in refs:
        assert isinstance(resolve(document, ref), dict), ref


def test_keys_run_ids_and_action_ids_have_their_rules() -> None:
    document = served()
    operation = create_operations(document)["/v1/actions/debug:log/runs"]
    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert header["schema"] == {"type": "string", "pattern": HEADER_KEY_PATTERN}
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    key = body["properties"]["idempotencyKey"]["anyOf"][0]
    assert (key["pattern"], key["maxLength"], key["minLength"]) == (KEY_PATTERN, 255, 1)
    for path in ("/v1/runs/{runId}", "/v1/runs/{runId}/events", "/v1/runs/{runId}/cancel"):
        for op in document["paths"][path].values():
            run_id = next(p for p in op["parameters"] if p["name"] == "runId")
            assert run_id["schema"]["format"] == "uuid"
    action_id = document["components"]["schemas"]["ActionView"]["properties"]["id"]
    assert action_id["pattern"] == ACTION_ID_PATTERN.pattern


def test_the_header_pattern_takes_a_key_quoted_or_bare() -> None:
    pattern = re.compile(HEADER_KEY_PATTERN)
    for good in ("abc", '"abc"', "8d8990e1-8d13-4c43-83ab-1807fa1b0c6f:fetch-base"):
        assert pattern.fullmatch(good)
    for bad in ('"abc', 'abc"', '""', "", "a b", '"a"b"'):
        assert not pattern.fullmatch(bad)


def test_the_document_is_built_once() -> None:
    app = create_app(ApiSettings(auth_disabled=True), REGISTRY)
    assert app.openapi() is app.openapi() is app.openapi_schema
