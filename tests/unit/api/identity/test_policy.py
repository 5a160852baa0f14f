"""The authorization policy's pure functions."""

from __future__ import annotations

import pytest

from actionpool.actions.errors import NotAllowedError
from actionpool.api.identity import policy
from actionpool.api.identity.principal import Owners, Principal, Scope
from actionpool.api.identity.settings import StaticTokenConfig
from actionpool.api.identity.statictoken import StaticTokens, hash_token, new_token

PAYMENTS = "group:default/payments"
INFRA = "group:default/infra"


def principal(
    *owners: str,
    user: str | None = None,
    plugin: tuple[str, ...] | None = None,
    admin: bool = False,
) -> Principal:
    scopes = frozenset({Scope.ADMIN} if admin else {Scope.RUNS_READ})
    return Principal(
        kind="backstage" if user else "static",
        subject="t",
        scopes=scopes,
        owners=Owners.of(owners),
        user_ref=user,
        plugin_owners=Owners.of(plugin) if plugin is not None else None,
    )


@pytest.mark.parametrize(
    ("ref", "full"),
    [
        ("payments", "group:default/payments"),
        ("group:payments", "group:default/payments"),
        ("group:ops/Payments", "group:ops/payments"),
    ],
)
def test_refs_are_completed_as_backstage_does(ref: str, full: str) -> None:
    assert policy.entity_ref("group", ref) == full


def test_groups_come_from_relations_and_spec() -> None:
    entity = {
        "kind": "User",
        "metadata": {"name": "carol", "namespace": "ops"},
        "spec": {"memberOf": ["sre"]},
        "relations": [
            {"type": "memberOf", "targetRef": "group:default/payments"},
            {"type": "ownerOf", "targetRef": "component:x"},
        ],
    }
    assert policy.ref_of_entity(entity) == "user:ops/carol"
    assert policy.groups_of_entity(entity) == {"group:ops/sre", "group:default/payments"}


def test_a_single_owner_is_the_default_and_several_must_be_named() -> None:
    assert policy.owner_for_new_run(Owners.of([PAYMENTS]), None) == PAYMENTS
    assert policy.owner_for_new_run(Owners.of(["*"]), None) is None
    with pytest.raises(NotAllowedError, match="context.owner"):
        policy.owner_for_new_run(Owners.of([PAYMENTS, INFRA]), None)


def test_an_owner_outside_the_credential_is_refused_and_case_does_not_matter() -> None:
    assert policy.owner_for_new_run(Owners.of([PAYMENTS]), "Group:Default/Payments") == PAYMENTS
    with pytest.raises(NotAllowedError):
        policy.owner_for_new_run(Owners.of([PAYMENTS]), INFRA)


def test_entity_groups_count_only_for_the_tokens_own_user_and_within_the_plugin() -> None:
    carol = principal("user:default/carol", user="user:default/carol", plugin=(PAYMENTS,))
    hers = {
        "kind": "User",
        "metadata": {"name": "carol"},
        "spec": {"memberOf": ["payments", "infra"]},
    }
    theirs = {"kind": "User", "metadata": {"name": "alice"}, "spec": {"memberOf": ["payments"]}}
    assert PAYMENTS in policy.creating_owners(carol, hers)
    assert INFRA not in policy.creating_owners(carol, hers)  # the plugin may not act for infra
    assert PAYMENTS not in policy.creating_owners(carol, theirs)


def test_who_sees_a_run() -> None:
    assert policy.sees(principal(PAYMENTS), PAYMENTS, None)
    assert not policy.sees(principal(PAYMENTS), INFRA, None)
    assert not policy.sees(principal(PAYMENTS), None, None)  # an unowned run is not a team's
    assert policy.sees(principal(admin=True), INFRA, None)
    assert policy.sees(principal(user="user:default/carol"), INFRA, "user:default/carol")


def test_a_verified_user_is_the_runs_user() -> None:
    carol = principal(user="user:default/carol")
    assert policy.user_for_new_run(carol, None) == "user:default/carol"
    with pytest.raises(NotAllowedError):
        policy.user_for_new_run(carol, "user:default/dave")
    assert policy.user_for_new_run(principal(PAYMENTS), "user:default/dave") == "user:default/dave"


def test_static_tokens_are_known_by_their_hash_only() -> None:
    token = new_token()
    config = StaticTokenConfig(
        subject="ci", sha256=hash_token(token), scopes=[Scope.RUNS_READ], owners=[PAYMENTS]
    )
    tokens = StaticTokens([config])
    found = tokens.verify(token)
    assert found is not None and found.subject == "ci" and PAYMENTS in found.owners
    assert tokens.verify(token + "x") is None
    assert token not in config.model_dump_json()


def test_an_entity_with_odd_relations_counts_for_no_group() -> None:
    for relations in (5, True, "x", None, [5, {"type": "memberOf", "targetRef": 3}]):
        assert policy.groups_of_entity({"kind": "User", "relations": relations}) == set()
