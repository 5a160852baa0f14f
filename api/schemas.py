"""The HTTP API's request and response bodies (camelCase like Backstage's)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from actionpool.actions.action import Action, Example
from actionpool.worker.client import Run, RunContext, time_limits_of


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class BackstageUser(ApiModel):
    """Backstage's `${{ user }}`: the user who started the task. Its entity's groups count as
    the caller's teams only when a verified user token names this same user."""

    ref: str | None = Field(
        default=None, max_length=512, description="Not used: the run's user is `context.userRef`"
    )
    entity: dict[str, Any] | None = Field(
        default=None, description="`${{ user.entity }}`: the user's catalog entity"
    )


class CreateRunBody(ApiModel):
    """`POST /v1/actions/{actionId}/runs`: everything travels in the body (the proxy drops
    custom headers)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    input: dict[str, Any] = Field(default_factory=dict, description="The action's input")
    idempotency_key: str | None = Field(
        default=None, description='Defaults to the Idempotency-Key header, then "taskId:stepId"'
    )
    context: RunContext = Field(default_factory=RunContext)
    secrets: dict[str, str] = Field(
        default_factory=dict, description="Given to the action, never shown in the run"
    )
    dry_run: bool = False
    user: BackstageUser | None = None


class RetryRunBody(ApiModel):
    """`POST /v1/runs/{runId}/retry`: optional, like Backstage's task retry body."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    secrets: dict[str, str] = Field(
        default_factory=dict,
        description="The run's secrets again: the pool drops them when a run ends, so a run "
        "started with secrets needs them for its retry",
    )


class ActionSchemas(ApiModel):
    input: dict[str, Any]
    output: dict[str, Any]


class ActionSource(ApiModel):
    """The installed distribution that registered an action."""

    package: str
    version: str


class ActionDeprecation(ApiModel):
    """An action marked deprecated: what to use instead, and why."""

    replacement: str | None
    reason: str


class ActionView(ApiModel):
    """An entry of `GET /v1/actions`: Backstage's `/v2/actions` shape plus pool fields."""

    id: str
    description: str
    examples: list[Example]
    schema_: ActionSchemas = Field(alias="schema")
    supports_dry_run: bool
    timeout_s: float = Field(alias="timeoutS")
    soft_timeout_s: float = Field(alias="softTimeoutS")
    max_attempts: int
    queue: str
    source: ActionSource | None = Field(
        description="The package that registered the action (actionpool for the built-ins)"
    )
    deprecation: ActionDeprecation | None = Field(
        description="Set when the action is deprecated: use `replacement` instead"
    )

    @classmethod
    def of(cls, action: Action[Any, Any]) -> ActionView:
        limits = time_limits_of(action)
        source, deprecation = action.source, action.deprecation
        return cls(
            id=action.id,
            description=action.description,
            examples=list(action.examples),
            schema=ActionSchemas(input=action.input_schema, output=action.output_schema),
            supports_dry_run=action.supports_dry_run,
            timeoutS=limits.hard_s,
            softTimeoutS=limits.soft_s,
            max_attempts=action.retry.max_attempts,
            queue=action.queue,
            source=source and ActionSource(package=source.package, version=source.version),
            deprecation=deprecation
            and ActionDeprecation(replacement=deprecation.replacement, reason=deprecation.reason),
        )


class RunLinks(ApiModel):
    self_: str = Field(alias="self")
    events: str


class RunView(Run):
    """A run as the API shows it, with its own URLs (relative to the API's root)."""

    links: RunLinks

    @classmethod
    def of(cls, run: Run) -> RunView:
        path = f"/v1/runs/{run.id}"
        return cls(**dict(run), links=RunLinks(self=path, events=f"{path}/events"))


class ErrorDetail(ApiModel):
    path: str
    message: str


class ErrorInfoBody(ApiModel):
    name: str
    message: str
    details: list[ErrorDetail] | None = Field(
        default=None, description="For a 422: every field that failed, by path"
    )


class ErrorRequest(ApiModel):
    method: str
    url: str


class ErrorResponse(ApiModel):
    status_code: int


class RunRef(ApiModel):
    """The run an error is about: its id, status and URLs (not the whole record)."""

    id: str
    status: str
    links: RunLinks


class ErrorBody(ApiModel):
    """Backstage's error body, as its `ResponseError.fromResponse` reads it."""

    error: ErrorInfoBody
    run: RunRef | None = Field(
        default=None,
        description="For a 424, the run that ended failed or cancelled; for an invoke's 504, "
        "the run still processing",
    )
    request: ErrorRequest
    response: ErrorResponse


LOCATION = {
    "Location": {"description": "The run's URL", "required": True, "schema": {"type": "string"}}
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }
}
REPLAYED = {
    "Idempotent-Replayed": {
        "description": "`true` when the answer is the run that already held the idempotency key",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
WWW_AUTHENTICATE = {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}}
ERROR_HEADERS: dict[int, dict[str, Any]] = {
    401: WWW_AUTHENTICATE,
    424: LOCATION,
    429: RETRY_AFTER,
    503: RETRY_AFTER,
    504: RETRY_AFTER,
}
ERROR_DESCRIPTIONS = {
    401: "No valid credential: a static token or a Backstage plugin token (docs/security.md)",
    403: "The credential may not do this: a scope it lacks, an owner it may not act for",
    429: "This credential starts runs faster than its rate limit",
    503: "Not done: Redis cannot be reached or cannot write (a run asked for will never run)",
    504: "Not known: Redis stopped answering after the change was sent (retry with the same "
    "idempotency key)",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer."""
    entries: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {"model": ErrorBody}
        if status in ERROR_HEADERS:
            entry["headers"] = ERROR_HEADERS[status]
        if status in ERROR_DESCRIPTIONS:
            entry["description"] = ERROR_DESCRIPTIONS[status]
        entries[status] = entry
    return entries


def run_responses(
    *statuses: int, replayed: int | None = None, **descriptions: str
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the statuses that answer with a run (and `Location`); the status
    `replayed` may also carry `Idempotent-Replayed`."""
    return {
        status: {
            "model": RunView,
            "headers": {**LOCATION, **(REPLAYED if status == replayed else {})},
            "description": descriptions.get(f"s{status}", "The run"),
        }
        for status in statuses
    }
