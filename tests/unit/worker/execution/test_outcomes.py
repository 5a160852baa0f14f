"""How an attempt's end is shown: the error, masked of the run's secrets (pure functions)."""

from actionpool.actions.errors import RunEndedUnsuccessfullyError
from actionpool.actions.redaction import Redactor
from actionpool.worker.execution.outcomes import error_info
from actionpool.worker.store.records import ErrorInfo

REDACTOR = Redactor(["s3cr3t-token"])


def test_an_error_is_shown_with_the_secrets_masked_in_its_name_and_message() -> None:
    error = RunEndedUnsuccessfullyError(
        "Push-s3cr3t-token", "push to x:s3cr3t-token@h failed", "r-1", "failed"
    )
    assert error_info(error, REDACTOR) == ErrorInfo(
        name="Push-***", message="push to x:***@h failed"
    )


def test_an_error_without_a_message_is_shown_by_its_name() -> None:
    assert error_info(RuntimeError(), REDACTOR) == ErrorInfo(
        name="RuntimeError", message="RuntimeError"
    )
