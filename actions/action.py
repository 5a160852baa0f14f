"""How an action is declared: `@action(...)` turns a typed function into an `Action`."""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from actionpool.actions.context import ActionContext
from actionpool.actions.errors import NonRetryableActionError, OutputValidationError

InputT = TypeVar("InputT", bound=BaseModel)
OutputT = TypeVar("OutputT", bound=BaseModel)

MAX_ACTION_ID_LENGTH = 128
ACTION_ID_PATTERN = re.compile(r"^[a-z0-9][A-Za-z0-9._-]*(:[a-z0-9][A-Za-z0-9._-]*)+$")
"""Backstage style, `namespace:name` with more `:` parts allowed: each part starts with a
lower-case letter or digit, then letters (camelCase, as in Backstage's own
`gitlab:projectAccessToken:create`), digits, `.`, `_` and `-`."""
DEFAULT_QUEUE = "default"
DEFAULT_TIMEOUT_S = 600.0
OVERRIDABLE = frozenset(
    {"timeout_s", "soft_timeout_s", "queue_timeout_s", "deadline_s", "queue", "supports_dry_run"}
)
"""Action fields an operator may override (besides every RetryPolicy field)."""


def is_action_id(text: str) -> bool:
    return len(text) <= MAX_ACTION_ID_LENGTH and ACTION_ID_PATTERN.fullmatch(text) is not None


class RetryPolicy(BaseModel):
    """When and how often a failed attempt is tried again (Temporal's RetryPolicy)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    max_attempts: int = Field(default=3, ge=1, le=100)
    initial_delay_s: float = Field(default=1.0, ge=0)
    backoff_multiplier: float = Field(default=2.0, ge=1.0)
    max_delay_s: float = Field(default=60.0, ge=0)
    jitter: bool = True
    non_retryable: tuple[type[BaseException], ...] = (NonRetryableActionError,)

    @model_validator(mode="after")
    def _delays_ordered(self) -> RetryPolicy:
        if self.max_delay_s < self.initial_delay_s:
            raise ValueError("max_delay_s must be at least initial_delay_s")
        return self


@dataclasses.dataclass(frozen=True)
class Attributes:
    """What running an action does to the world, as Backstage's actions registry lists it
    (`readOnly`, `destructive`, `idempotent`). The defaults assume the worst: it writes, it
    may destroy, and running it twice is not the same as once."""

    read_only: bool = False
    destructive: bool = True
    idempotent: bool = False


READ_ONLY = Attributes(read_only=True, destructive=False, idempotent=True)
"""An action that changes nothing outside its own run (the `debug:*` actions)."""


@dataclasses.dataclass(frozen=True)
class Source:
    """The installed distribution an action comes from, as `actionpool actions` shows it."""

    package: str
    version: str


@dataclasses.dataclass(frozen=True)
class Deprecation:
    """Marks an action deprecated: listings say so and name its replacement, and each run of
    it logs a warning template authors see in Backstage's task log."""

    replacement: str | None = None
    """The id of the action to use instead, if there is one."""
    reason: str = ""

    def __post_init__(self) -> None:
        if self.replacement is not None and not (
            isinstance(self.replacement, str) and is_action_id(self.replacement)
        ):
            raise ValueError(
                f"a deprecation's replacement must be an action id, not {self.replacement!r}"
            )
        if not isinstance(self.reason, str):
            raise ValueError("a deprecation's reason must be text")

    def notice(self, action_id: str) -> str:
        """The warning a run of the action logs."""
        instead = f"; use {self.replacement} instead" if self.replacement else ""
        because = f" ({self.reason})" if self.reason else ""
        return f"{action_id} is deprecated{because}{instead}"


class Example(BaseModel):
    """One example of an action's use, as Backstage lists them."""

    description: str
    example: str


@dataclasses.dataclass(frozen=True)
class Action(Generic[InputT, OutputT]):
    """A registered action: its contract, its limits and the function that runs it."""

    id: str
    description: str
    fn: Callable[[InputT, ActionContext], OutputT]
    input_model: type[InputT]
    output_model: type[OutputT]
    examples: tuple[Example, ...] = ()
    timeout_s: float = DEFAULT_TIMEOUT_S
    soft_timeout_s: float | None = None
    queue_timeout_s: float | None = None
    deadline_s: float | None = None
    retry: RetryPolicy = dataclasses.field(default_factory=RetryPolicy)
    queue: str = DEFAULT_QUEUE
    supports_dry_run: bool = False
    attributes: Attributes = Attributes()
    deprecation: Deprecation | None = None
    source: Source | None = None
    """Set by the registry: the distribution that registered the action."""
    validation_context: Mapping[str, Any] = dataclasses.field(
        default_factory=dict, compare=False, hash=False
    )
    """Given to pydantic when input is validated (`ValidationInfo.context`): what an input
    model's validators check against, such as the operator's allowlists."""

    def __post_init__(self) -> None:
        if not is_action_id(self.id):
            raise ValueError(
                f"action id {self.id[: MAX_ACTION_ID_LENGTH + 1]!r} is not Backstage style "
                f"'namespace:name' of at most {MAX_ACTION_ID_LENGTH} characters"
            )
        if self.timeout_s <= 0:
            raise ValueError(f"{self.id}: timeout_s must be positive")
        if self.soft_timeout_s is not None and not 0 < self.soft_timeout_s <= self.timeout_s:
            raise ValueError(f"{self.id}: soft_timeout_s must be in (0, timeout_s]")
        for name in ("queue_timeout_s", "deadline_s"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{self.id}: {name} must be positive")

    @property
    def listed_description(self) -> str:
        """The description as Backstage's listings show it: a deprecated action says so."""
        if self.deprecation is None:
            return self.description
        return f"{self.description} (Deprecated: {self.deprecation.notice(self.id)}.)"

    @property
    def input_schema(self) -> dict[str, Any]:
        return self.input_model.model_json_schema()

    @property
    def output_schema(self) -> dict[str, Any]:
        return self.output_model.model_json_schema()

    def parse_input(self, raw: Any) -> InputT:
        """Validate raw input; raises pydantic's ValidationError naming every failing field."""
        return self.input_model.model_validate(raw, context=dict(self.validation_context))

    def invoke(self, raw_input: Any, ctx: ActionContext) -> dict[str, Any]:
        """Run the action on raw (JSON) input and return its output as JSON-ready data."""
        try:
            parsed = self.parse_input(raw_input)
        except ValidationError as exc:
            raise NonRetryableActionError(f"{self.id}: input does not match: {exc}") from exc
        if self.deprecation is not None:
            ctx.logger.warning(self.deprecation.notice(self.id))
        output = self.fn(parsed, ctx)
        if not isinstance(output, self.output_model):
            raise OutputValidationError(
                f"{self.id} returned {type(output).__name__}, not {self.output_model.__name__}"
            )
        return output.model_dump(mode="json", by_alias=True)

    def with_overrides(self, **changes: Any) -> Action[InputT, OutputT]:
        """A copy with operator overrides applied (timeouts, retry fields, queue)."""
        unknown = changes.keys() - OVERRIDABLE - set(RetryPolicy.model_fields)
        if unknown:
            allowed = sorted(OVERRIDABLE | set(RetryPolicy.model_fields) - {"non_retryable"})
            raise ValueError(f"unknown field(s) {sorted(unknown)}; allowed: {allowed}")
        retry_fields = set(RetryPolicy.model_fields) & changes.keys()
        updates = {name: changes.pop(name) for name in retry_fields}
        retry = RetryPolicy.model_validate({**dict(self.retry), **updates})
        return dataclasses.replace(self, retry=retry, **changes)


def action(
    id: str,
    *,
    description: str,
    examples: Sequence[Example] = (),
    timeout_s: float = DEFAULT_TIMEOUT_S,
    soft_timeout_s: float | None = None,
    queue_timeout_s: float | None = None,
    deadline_s: float | None = None,
    retry: RetryPolicy | None = None,
    queue: str = DEFAULT_QUEUE,
    supports_dry_run: bool = False,
    attributes: Attributes | None = None,
    deprecation: Deprecation | None = None,
    validation_context: Mapping[str, Any] | None = None,
) -> Callable[[Callable[[InputT, ActionContext], OutputT]], Action[InputT, OutputT]]:
    """Declare an action; the input and output models come from the function's annotations."""

    def decorate(fn: Callable[[InputT, ActionContext], OutputT]) -> Action[InputT, OutputT]:
        input_model, output_model = _models_of(fn)
        return Action(
            id=id,
            description=description,
            fn=fn,
            input_model=input_model,
            output_model=output_model,
            examples=tuple(examples),
            timeout_s=timeout_s,
            soft_timeout_s=soft_timeout_s,
            queue_timeout_s=queue_timeout_s,
            deadline_s=deadline_s,
            retry=retry or RetryPolicy(),
            queue=queue,
            supports_dry_run=supports_dry_run,
            attributes=attributes or Attributes(),
            deprecation=deprecation,
            validation_context=dict(validation_context or {}),
        )

    return decorate


def _models_of(fn: Callable[..., Any]) -> tuple[Any, Any]:
    hints = typing.get_type_hints(fn)
    params = [name for name in hints if name != "return"]
    models = (hints.get(params[0]) if params else None, hints.get("return"))
    for model in models:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(
                f"{fn.__qualname__} must be annotated (input: BaseModel, ctx) -> BaseModel"
            )
    return models
