from pathlib import Path

import pytest
from pydantic import BaseModel

from actionpool.actions.action import Action, RetryPolicy, action
from actionpool.actions.builtin.debug import sleep
from actionpool.actions.context import ActionContext
from actionpool.actions.errors import NonRetryableActionError, OutputValidationError
from actionpool.actions.model import ActionModel
from tests.unit.actions.helpers import make_context


class In(ActionModel):
    repo_url: str
    private: bool = False


class Out(ActionModel):
    remote_url: str


@action("acme:repo-create", description="Creates a repository", timeout_s=120)
def create_repo(input: In, ctx: ActionContext) -> Out:
    return Out(remote_url=f"{input.repo_url}.git")


def test_schemas_come_from_the_annotations_in_camel_case() -> None:
    # Then the input schema is Backstage-style JSON Schema with camelCase names
    schema = create_repo.input_schema
    assert schema["type"] == "object"
    assert set(schema["properties"]) == {"repoUrl", "private"}
    assert schema["required"] == ["repoUrl"]
    assert create_repo.output_schema["required"] == ["remoteUrl"]


def test_unknown_input_fields_are_refused_in_the_schema() -> None:
    assert create_repo.input_schema["additionalProperties"] is False


def test_invoke_validates_input_and_returns_json_output(tmp_path: Path) -> None:
    ctx, _ = make_context(tmp_path)
    assert create_repo.invoke({"repoUrl": "https://x/y"}, ctx) == {"remoteUrl": "https://x/y.git"}


def test_input_that_does_not_match_is_not_retryable(tmp_path: Path) -> None:
    ctx, _ = make_context(tmp_path)
    with pytest.raises(NonRetryableActionError, match="repoUrl"):
        create_repo.invoke({"private": True}, ctx)


def test_wrong_output_type_is_an_output_validation_error(tmp_path: Path) -> None:
    class Other(BaseModel):
        x: int = 1

    bad: Action[In, Out] = Action(
        id="acme:bad",
        description="returns the wrong model",
        fn=lambda i, c: Other(),  # type: ignore[arg-type,return-value]
        input_model=In,
        output_model=Out,
    )
    ctx, _ = make_context(tmp_path)
    with pytest.raises(OutputValidationError):
        bad.invoke({"repoUrl": "u"}, ctx)


@pytest.mark.parametrize("bad_id", ["sleep", "Debug:Sleep", "debug:", ":x", "debug sleep"])
def test_ids_must_be_backstage_style(bad_id: str) -> None:
    with pytest.raises(ValueError, match="Backstage style"):
        action(bad_id, description="x")(create_repo.fn)


def test_soft_timeout_must_fit_in_the_hard_one() -> None:
    with pytest.raises(ValueError, match="soft_timeout_s"):
        action("acme:x", description="x", timeout_s=10, soft_timeout_s=11)(create_repo.fn)


def test_function_without_model_annotations_is_refused() -> None:
    def untyped(input, ctx):  # type: ignore[no-untyped-def]
        return None

    with pytest.raises(TypeError, match="annotated"):
        action("acme:x", description="x")(untyped)


def test_overrides_change_limits_and_retry_fields() -> None:
    # When an operator overrides timeouts and the attempt count
    changed = sleep.with_overrides(timeout_s=5, soft_timeout_s=2, max_attempts=1)
    # Then the copy has them and the original is untouched
    assert (changed.timeout_s, changed.soft_timeout_s, changed.retry.max_attempts) == (5, 2, 1)
    assert sleep.retry.max_attempts == RetryPolicy().max_attempts


def test_invalid_override_is_refused() -> None:
    with pytest.raises(ValueError):
        sleep.with_overrides(max_attempts=0)
