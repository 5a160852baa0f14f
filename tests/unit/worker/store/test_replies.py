"""The scripts' replies become typed values, and a reply no script gives is an error."""

import pytest
from cryptography.fernet import Fernet

from actionpool.worker.store.replies import (
    CancelOutcome,
    Claim,
    Created,
    Renewal,
    UnexpectedReplyError,
    literal,
)
from actionpool.worker.store.sealing import Sealer

SEALER = Sealer([Fernet.generate_key().decode()])


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
    claim = Claim.of(["stale"], SEALER)
    assert (claim.outcome, claim.run, claim.secrets) == ("stale", None, {})


FIELDS = ["id", "r", "actionId", "debug:log", "status", "processing", "input", "{}",
          "maxAttempts", "3", "queue", "default", "createdAt", "2026-11-26T09:00:00.000Z",
          "attempt", "1"]  # fmt: skip


def test_a_claim_carries_the_secrets_unsealed() -> None:
    claim = Claim.of(["claimed", FIELDS, SEALER.seal({"token": "t0ps3cret"})], SEALER)
    assert (claim.outcome, claim.secrets, claim.unreadable) == (
        "claimed",
        {"token": "t0ps3cret"},
        None,
    )
    assert Claim.of(["claimed", FIELDS, ""], SEALER).secrets == {}


def test_a_claim_whose_secrets_expired_says_so_instead_of_running_without_them() -> None:
    claim = Claim.of(["claimed", [*FIELDS, "hasSecrets", "1"], ""], SEALER)
    assert claim.secrets == {} and claim.unreadable is not None
    assert "dropped before this attempt started" in str(claim.unreadable)


def test_a_claim_whose_secrets_no_key_opens_says_so_instead_of_raising() -> None:
    # Given secrets sealed under a key this process no longer has
    dropped = Sealer([Fernet.generate_key().decode()]).seal({"token": "t0ps3cret"})
    # When the claim's reply is read
    claim = Claim.of(["claimed", FIELDS, dropped], SEALER)
    # Then the run is claimed, without secrets, and the claim says why
    assert claim.outcome == "claimed" and claim.run is not None and claim.secrets == {}
    assert claim.unreadable is not None
    assert claim.unreadable.name == "SecretsUnreadableError"


def test_a_renewal_says_whether_the_lease_is_held_and_cancellation_asked() -> None:
    assert Renewal.of(["held", "2026-11-26T09:45:21.635Z"]) == Renewal(True, True)
    assert Renewal.of(["lost", ""]) == Renewal(False, False)
    with pytest.raises(UnexpectedReplyError):
        Renewal.of([1, ""])
