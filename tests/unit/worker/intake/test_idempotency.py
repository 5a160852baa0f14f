import pytest

from actionpool.actions.errors import MalformedRequestError
from actionpool.worker.intake.idempotency import derive_key, digest, fingerprint, parse_key_header
from actionpool.worker.store.records import RunContext

BACKSTAGE = RunContext(task_id="task-1", step_id="create-repo", owner="group:default/team-a")


@pytest.mark.parametrize(
    ("header", "key"),
    [('"abc-123"', "abc-123"), ("abc-123", "abc-123"), ('  "k"  ', "k")],
)
def test_header_key_may_be_quoted_or_bare(header: str, key: str) -> None:
    assert parse_key_header(header) == key


@pytest.mark.parametrize("header", ['""', "", "x" * 256, "bad\x00key", '"a\\"b"'])
def test_unusable_header_key_is_a_malformed_request(header: str) -> None:
    with pytest.raises(MalformedRequestError):
        parse_key_header(header)


def test_body_key_wins_over_header_and_context() -> None:
    assert derive_key("from-body", "from-header", BACKSTAGE) == "from-body"


def test_header_key_wins_over_context() -> None:
    assert derive_key(None, '"from-header"', BACKSTAGE) == "from-header"


def test_backstage_task_and_step_make_the_key() -> None:
    # Given no explicit key but a Backstage task id and step id
    # Then a retried or recovered step lands on the same key
    assert derive_key(None, None, BACKSTAGE) == "task-1:create-repo"


def test_no_key_without_task_and_step() -> None:
    assert derive_key(None, None, RunContext(task_id="task-1")) is None


def test_fingerprint_ignores_key_order() -> None:
    a = fingerprint("debug:log", {"a": 1, "b": [1, 2]}, BACKSTAGE, False)
    b = fingerprint("debug:log", {"b": [1, 2], "a": 1}, BACKSTAGE, False)
    assert a == b


@pytest.mark.parametrize(
    "changed",
    [
        ("debug:sleep", {"a": 1}, BACKSTAGE, False),
        ("debug:log", {"a": 2}, BACKSTAGE, False),
        ("debug:log", {"a": 1}, RunContext(task_id="task-2", step_id="create-repo"), False),
        ("debug:log", {"a": 1}, BACKSTAGE, True),
    ],
)
def test_fingerprint_changes_with_action_input_context_or_dry_run(changed: tuple) -> None:  # type: ignore[type-arg]
    assert fingerprint("debug:log", {"a": 1}, BACKSTAGE, False) != fingerprint(*changed)


def test_digest_is_fixed_length_whatever_the_key() -> None:
    assert len(digest(None, "k")) == len(digest("group:default/x", "k" * 255)) == 64


def test_digest_scopes_a_key_to_its_owner() -> None:
    # Two teams' equal keys are different keys; an owner's case does not matter
    payments, infra = "group:default/payments", "group:default/infra"
    assert digest(payments, "task:step") != digest(infra, "task:step")
    assert digest(payments, "task:step") != digest(None, "task:step")
    assert digest(payments, "task:step") == digest("Group:Default/Payments", "task:step")


def test_a_retry_by_another_user_of_the_team_is_the_same_payload() -> None:
    # Given a run a user started, and the same step retried by a teammate (Backstage's task
    # retry sends the token of whoever retried it, so the pool records another userRef)
    alice = BACKSTAGE.model_copy(update={"user_ref": "user:default/alice"})
    bob = BACKSTAGE.model_copy(update={"user_ref": "user:default/bob"})
    # Then the two are one payload: the retry finds the run instead of a 422
    assert fingerprint("a:b", {"x": 1}, alice, False) == fingerprint("a:b", {"x": 1}, bob, False)
