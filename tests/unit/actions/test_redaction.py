from actionpool.actions.redaction import MASK, Redactor


def test_secret_values_are_masked_longest_first() -> None:
    # Given two secrets, one a prefix of the other
    redactor = Redactor(["token-abc", "token-abcdef"])
    # Then both are masked whole
    assert redactor.redact("auth token-abcdef and token-abc") == f"auth {MASK} and {MASK}"


def test_very_short_values_are_left_alone() -> None:
    # Given secrets too short to mask without garbling the line, they stay as they are
    assert Redactor(["on", "1"]).redact("turned on 1 time") == "turned on 1 time"
