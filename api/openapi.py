"""The served OpenAPI document, made to say the rules the API enforces, so that a request
valid against it is not refused for its form:

- one `POST /v1/actions/<id>/runs` per registered action instead of the generic
  `/v1/actions/{actionId}/runs`, its body's `input` that action's input JSON Schema (its
  nested models under `components.schemas` as `<id>.<Model>`, and required when the action
  takes no empty input), `dryRun` only `false` for an action without dry runs; everything
  else as the generic operation has it;
- idempotency keys (`idempotencyKey`, the `Idempotency-Key` header): 1-255 characters of
  letters, digits and `. _ : @ / + = -`, the header's quoted or bare;
- run ids (`{runId}`): UUIDs; action ids (`ActionView.id`): Backstage style.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from pydantic import ValidationError

from actionpool.actions.action import ACTION_ID_PATTERN, MAX_ACTION_ID_LENGTH
from actionpool.actions.registry import AnyAction, Registry

Document = dict[str, Any]

GENERIC_PATH = "/v1/actions/{actionId}/runs"
GENERIC_BODY = "CreateRunBody"
LOCAL_DEFS = "#/$defs/"
MAX_KEY_LENGTH = 255
KEY_CHARACTERS = "[A-Za-z0-9._:@/+=-]"
"""What `worker.intake.idempotency` accepts (the API may not import it; a unit test keeps the
two the same)."""
KEY = f"{KEY_CHARACTERS}{{1,{MAX_KEY_LENGTH}}}"
KEY_PATTERN = f"^{KEY}$"
HEADER_KEY_PATTERN = f'^(?:{KEY}|"{KEY}")$'
KEY_RULE = f"1-{MAX_KEY_LENGTH} characters of letters, digits and . _ : @ / + = -"


def install_openapi(app: FastAPI, registry: Registry) -> None:
    """`app.openapi()` serves the document with the rules (built once, on first use)."""
    generic: Callable[[], Document] = app.openapi

    def openapi() -> Document:
        if app.openapi_schema is None:  # FastAPI's own caches its document there: replaced
            app.openapi_schema = describe_rules(generic(), registry)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def describe_rules(generic: Document, registry: Registry) -> Document:
    """A copy of FastAPI's document that says the rules."""
    document = copy.deepcopy(generic)
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    _describe_keys(document, schemas)
    _describe_ids(document, schemas)
    _one_operation_per_action(document, schemas, registry)
    return document


def _describe_keys(document: Document, schemas: dict[str, Any]) -> None:
    body_key = schemas.get(GENERIC_BODY, {}).get("properties", {}).get("idempotencyKey")
    if body_key is not None:
        rule = {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH}
        body_key["anyOf"] = [{**rule, "pattern": KEY_PATTERN}, {"type": "null"}]
        body_key["description"] = f"{body_key.get('description', '')} ({KEY_RULE})".strip()
    for parameter in _parameters(document):
        if parameter["in"] == "header" and parameter["name"].lower() == "idempotency-key":
            parameter["schema"] = {"type": "string", "pattern": HEADER_KEY_PATTERN}
            parameter["description"] = f"Quoted or bare: {KEY_RULE}"


def _describe_ids(document: Document, schemas: dict[str, Any]) -> None:
    for parameter in _parameters(document):
        if parameter["in"] == "path" and parameter["name"] == "runId":
            parameter["schema"] = {**parameter["schema"], "format": "uuid"}
            parameter["description"] = "The run's id (a UUID)"
    action_id = schemas.get("ActionView", {}).get("properties", {}).get("id")
    if action_id is not None:
        action_id["pattern"] = ACTION_ID_PATTERN.pattern
        action_id["maxLength"] = MAX_ACTION_ID_LENGTH


def _one_operation_per_action(
    document: Document, schemas: dict[str, Any], registry: Registry
) -> None:
    generic = document["paths"].get(GENERIC_PATH, {}).get("post")
    if generic is None:
        return
    taken = {op.get("operationId") for ops in document["paths"].values() for op in ops.values()}
    per_action = {}
    for action in registry:
        operation = _operation_for(action, generic, schemas[GENERIC_BODY], schemas)
        operation["operationId"] = _unique("create_run_" + re.sub(r"\W", "_", action.id), taken)
        per_action[f"/v1/actions/{action.id}/runs"] = {"post": operation}
    paths: dict[str, Any] = {}
    for path, operations in document["paths"].items():  # in the generic one's place
        paths.update(per_action if path == GENERIC_PATH else {path: operations})
    document["paths"] = paths
    if f'"#/components/schemas/{GENERIC_BODY}"' not in json.dumps(document):
        del schemas[GENERIC_BODY]  # each operation has its own body now


def _operation_for(
    action: AnyAction, generic: Document, body: Document, schemas: dict[str, Any]
) -> Document:
    operation = copy.deepcopy(generic)
    operation["summary"] = f"Start a run of {action.id}"
    operation["description"] = f"{action.description}\n\n{generic.get('description', '')}"
    operation["parameters"] = [
        p for p in operation["parameters"] if not (p["in"] == "path" and p["name"] == "actionId")
    ]
    action_body = copy.deepcopy(body)
    action_body["title"] = f"{GENERIC_BODY} of {action.id}"
    action_body["properties"]["input"] = _input_schema(action, schemas)
    if not _takes_no_input(action):  # a body without `input` gives it `{}`
        action_body["required"] = sorted({*action_body.get("required", []), "input"})
    if not action.supports_dry_run:
        action_body["properties"]["dryRun"] = {
            "const": False,
            "default": False,
            "description": f"{action.id} has no dry run",
        }
    operation["requestBody"]["content"]["application/json"]["schema"] = action_body
    return operation


def _input_schema(action: AnyAction, schemas: dict[str, Any]) -> Document:
    """The action's input schema (`Action.input_schema`), its `$defs` moved to the components
    under the action's name (two actions' models of one name are two components)."""
    prefix = re.sub(r"[^A-Za-z0-9._-]", ".", action.id) + "."
    schema = action.input_schema
    definitions: dict[str, Any] = schema.pop("$defs", {})
    for name, definition in definitions.items():
        schemas[f"{prefix}{name}"] = _moved(definition, prefix)
    moved: Document = _moved(schema, prefix)
    return moved


def _moved(value: Any, prefix: str) -> Any:
    """A copy of a schema whose `#/$defs/X` references point to the components."""
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith(LOCAL_DEFS):
            value = {**value, "$ref": f"#/components/schemas/{prefix}{ref[len(LOCAL_DEFS) :]}"}
        return {key: _moved(item, prefix) for key, item in value.items()}
    if isinstance(value, list):
        return [_moved(item, prefix) for item in value]
    return value


def _takes_no_input(action: AnyAction) -> bool:
    try:
        action.parse_input({})
    except ValidationError:
        return False
    return True


def _parameters(document: Document) -> Iterator[dict[str, Any]]:
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            yield from operation.get("parameters", [])


def _unique(wanted: str, taken: set[Any]) -> str:
    name, n = wanted, 1
    while name in taken:
        n += 1
        name = f"{wanted}:{n}"
    taken.add(name)
    return name
