"""The scripts' replies become typed values, and a reply no script gives is an error."""

import pytest

from actionpool.worker.store.replies import (
    CancelOutcome,
    Claim,
    Created,
    Renewal,
    UnexpectedReplyError,
    literal,
)


def test_a_reply_in_the_script_s_vocabulary_is_kept() -> None:
    assert literal("requested", CancelOutcome) == "requested"
    assert literal("completed", CancelOutcome) == "completed"  # a status word


def test_a_reply_outside_it_is_an_error_not_a_string_passed_along() -> None:
    with pytest.raises(UnexpectedReplyError):
        literal("requsted", CancelOutcome)


@pytest.mark.parametrize(
    ("reply", "created"),
    [(["created", "r", "f"], True), (["exists", "r", "f"], True), (["replay", "r", "f"], False),
     (["aborted", "r", "f"], False)],
)  # fmt: skip
def test_a_create_counts_as_created_when_the_run_is_this_call_s(
    reply: list[str], created: bool
) -> None:
    assert Created.of(reply).created is created


def test_a_refused_claim_carries_no_run() -> None:
    claim = Claim.of(["stale"])
    assert (claim.outcome, claim.run, claim.secrets) == ("stale", None, {})


def test_a_renewal_says_whether_the_lease_is_held_and_cancellation_asked() -> None:
    assert Renewal.of(["held", "2026-11-26T09:45:21.635Z"]) == Renewal(True, True)
    assert Renewal.of(["lost", ""]) == Renewal(False, False)
    with pytest.raises(UnexpectedReplyError):
        Renewal.of([1, ""])
