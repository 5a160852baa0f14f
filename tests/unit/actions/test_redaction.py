from actionpool.actions.redaction import MASK, Redactor


def test_secret_values_are_masked_longest_first() -> None:
    # Given two secrets, one a prefix of the other
    redactor = Redactor(["token-abc", "token-abcdef"])
    # Then both are masked whole
    assert redactor.redact("auth token-abcdef and token-abc") == f"auth {MASK} and {MASK}"


def test_very_short_values_are_left_alone() -> None:
    # Given secrets too short to mask without garbling the line, they stay as they are
    assert Redactor(["on", "1"]).redact("turned on 1 time") == "turned on 1 time"


def test_every_string_of_a_json_value_is_masked_keys_included() -> None:
    # Given an action's output with the secret in strings at every depth, and in a key
    redactor = Redactor(["s3cr3t-token"])
    output = {
        "url": "https://x:s3cr3t-token@git.example.com",
        "nested": {"list": ["a", "s3cr3t-token", {"deep": "Bearer s3cr3t-token"}]},
        "s3cr3t-token": 1,
        "count": 3,
        "ok": True,
        "none": None,
    }
    # Then every string holding it is masked, and the rest is as it was
    assert redactor.redact_json(output) == {
        "url": f"https://x:{MASK}@git.example.com",
        "nested": {"list": ["a", MASK, {"deep": f"Bearer {MASK}"}]},
        MASK: 1,
        "count": 3,
        "ok": True,
        "none": None,
    }
    # And the value given is left untouched (it is the action's)
    assert output["url"] == "https://x:s3cr3t-token@git.example.com"


def test_a_json_value_without_secrets_to_mask_is_returned_as_it_is() -> None:
    output = {"a": ["b"]}
    assert Redactor([]).redact_json(output) is output
    assert Redactor(["s3cr3t-token"]).redact_json("plain") == "plain"
