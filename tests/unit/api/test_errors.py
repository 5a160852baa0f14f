import pytest
from fastapi.exceptions import RequestValidationError

from actionpool.actions import errors
from actionpool.api.errors import STATUS_BY_ERROR, error_response, from_validation, status_for


def all_error_classes() -> list[type[errors.ActionPoolError]]:
    found, todo = [], [errors.ActionPoolError]
    while todo:
        cls = todo.pop()
        if cls.__module__ == errors.__name__:
            found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.MalformedRequestError("x"), 400),
        (errors.UnknownActionError("x"), 404),
        (errors.RunNotFoundError("x"), 404),
        (errors.PayloadTooLargeError("x"), 413),
        (errors.InputValidationError("x"), 422),
        (errors.DryRunNotSupportedError("x"), 422),
        (errors.IdempotencyKeyReusedError("x"), 422),
        (errors.RunEndedUnsuccessfullyError("ActionTimeoutError", "slow", "r", "failed"), 424),
        (errors.RunStillProcessingError("still going", "r"), 504),
        (errors.StoreUnavailableError("x"), 503),
    ],
)
def test_each_error_has_its_status(error: Exception, status: int) -> None:
    assert status_for(error) == status


def test_every_request_error_is_a_4xx() -> None:
    # Then no error a caller can cause is answered with a 5xx
    for cls in all_error_classes():
        if issubclass(cls, errors.RequestError):
            assert 400 <= status_for(cls("x")) < 500, cls


def test_subclasses_inherit_the_status_of_their_parent() -> None:
    class CustomNotFound(errors.RunNotFoundError):
        pass

    assert status_for(CustomNotFound("x")) == 404


def test_every_error_class_is_documented_in_the_tree() -> None:
    tree = errors.__doc__ or ""
    for cls in all_error_classes():
        assert cls.__name__ in tree, cls
        assert cls.__doc__, cls


def test_table_names_only_known_errors() -> None:
    assert set(STATUS_BY_ERROR) <= set(all_error_classes())


def test_error_body_is_backstage_shaped() -> None:
    response = error_response("GET", "/v1/runs/x", errors.RunNotFoundError("No run with id 'x'"))
    assert response.status_code == 404
    assert response.body == (
        b'{"error":{"name":"RunNotFoundError","message":"No run with id \'x\'"},'
        b'"request":{"method":"GET","url":"/v1/runs/x"},"response":{"statusCode":404}}'
    )


def test_a_failed_run_answer_reads_on_one_line_error_first_and_names_the_run() -> None:
    # Given a run that ended failed after a wait
    error = errors.RunEndedUnsuccessfullyError("ActionTimeoutError", "too slow", "r-1", "failed")
    # When it is answered
    response = error_response("POST", "/v1/actions/debug:sleep/runs?wait=5", error)
    # Then the run's error comes first, then the run by id and link, not its whole record
    assert response.status_code == 424
    assert response.headers["Location"] == "/v1/runs/r-1"
    assert response.body.startswith(
        b'{"error":{"name":"ActionTimeoutError","message":"too slow"},'
        b'"run":{"id":"r-1","status":"failed","links":{"self":"/v1/runs/r-1",'
    )
    assert len(response.body) < 300


def test_a_run_still_processing_after_an_invoke_says_which_run_and_when_to_ask_again() -> None:
    response = error_response("POST", "/x", errors.RunStillProcessingError("still going", "r-2"))
    assert response.status_code == 504
    assert response.headers["Retry-After"] == "5"
    assert response.headers["Location"] == "/v1/runs/r-2"
    assert b'"run":{"id":"r-2","status":"processing"' in response.body


def test_unavailable_store_says_when_to_retry() -> None:
    response = error_response("POST", "/v1/x", errors.StoreUnavailableError("down"))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"


def test_invalid_json_is_a_400_and_schema_violations_a_422() -> None:
    bad_json = RequestValidationError(
        [
            {
                "type": "json_invalid",
                "loc": ("body", 3),
                "msg": "JSON decode error",
                "ctx": {"error": "Expecting value"},
            }
        ]
    )
    bad_field = RequestValidationError(
        [{"type": "missing", "loc": ("body", "input"), "msg": "Field required"}]
    )
    assert status_for(from_validation(bad_json)) == 400
    converted = from_validation(bad_field)
    assert status_for(converted) == 422
    assert "body.input: Field required" in str(converted)
