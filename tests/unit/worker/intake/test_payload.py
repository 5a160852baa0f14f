import pytest

from actionpool.actions.errors import InputValidationError
from actionpool.worker.intake.payload import MAX_INPUT_DEPTH, check_plain_json


def nested(depth: int) -> dict:  # type: ignore[type-arg]
    value: dict = {}  # type: ignore[type-arg]
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def test_ordinary_json_passes() -> None:
    check_plain_json({"name": "svc", "tags": ["a", "b"], "n": 1.5, "ok": True, "none": None})


def test_nesting_up_to_the_limit_passes() -> None:
    check_plain_json(nested(MAX_INPUT_DEPTH))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"x": float("nan")}, "not plain JSON"),
        ({"x": [float("inf")]}, "not plain JSON"),
        ({"x": "\ud800"}, "not plain JSON"),
        (nested(MAX_INPUT_DEPTH + 1), "nested deeper"),
    ],
)
def test_values_that_would_not_survive_storage_are_refused(value: object, reason: str) -> None:
    # When the input holds NaN, a lone surrogate or too much nesting
    with pytest.raises(InputValidationError, match=reason) as raised:
        check_plain_json(value)
    # Then the 422 names the input as the failing path
    assert raised.value.details[0]["path"] == "input"
