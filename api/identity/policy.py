"""Authorization policy as pure functions: which owner a new run gets, whose runs a caller
sees, which user a run names.

Owners are Backstage entity refs (`group:default/payments`); a user acts for itself, for the
groups its user entity names (on creation, when the request carries the entity of the
token's own user) and for the groups the configuration lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from actionpool.actions.errors import NotAllowedError
from actionpool.api.identity.principal import Owners, Principal

DEFAULT_NAMESPACE = "default"


def entity_ref(default_kind: str, ref: str, namespace: str = DEFAULT_NAMESPACE) -> str:
    """`ref` (`payments`, `group:payments`, `group:ns/payments`) as a full, lowercase ref."""
    kind, colon, rest = ref.partition(":")
    if not colon:
        kind, rest = default_kind, ref
    ns, slash, name = rest.partition("/")
    if not slash:
        ns, name = namespace, rest
    return f"{kind}:{ns}/{name}".lower()


def ref_of_entity(entity: Mapping[str, Any]) -> str | None:
    """The ref of a catalog entity as Backstage renders `${{ user.entity }}`."""
    metadata = entity.get("metadata")
    kind = entity.get("kind")
    if not isinstance(metadata, Mapping) or not isinstance(kind, str):
        return None
    name, namespace = metadata.get("name"), metadata.get("namespace") or DEFAULT_NAMESPACE
    if not isinstance(name, str) or not isinstance(namespace, str):
        return None
    return f"{kind}:{namespace}/{name}".lower()


def groups_of_entity(entity: Mapping[str, Any]) -> set[str]:
    """The groups a user entity is a member of: its `memberOf` relations and `spec.memberOf`."""
    metadata = entity.get("metadata")
    namespace = DEFAULT_NAMESPACE
    if isinstance(metadata, Mapping) and isinstance(metadata.get("namespace"), str):
        namespace = metadata["namespace"]
    groups: set[str] = set()
    relations = entity.get("relations")
    for relation in relations if isinstance(relations, list) else []:
        if isinstance(relation, Mapping) and relation.get("type") == "memberOf":
            target = relation.get("targetRef")
            if isinstance(target, str):
                groups.add(entity_ref("group", target, namespace))
    spec = entity.get("spec")
    member_of = spec.get("memberOf") if isinstance(spec, Mapping) else None
    for group in member_of if isinstance(member_of, list) else []:
        if isinstance(group, str):
            groups.add(entity_ref("group", group, namespace))
    return groups


def creating_owners(principal: Principal, user_entity: Mapping[str, Any] | None) -> Owners:
    """The owners a caller may create runs for: its own, plus (for a plugin token acting for
    a user) the groups of the request's user entity when that entity is the token's user."""
    owners = principal.visible_owners
    if principal.user_ref is None or principal.plugin_owners is None or user_entity is None:
        return owners
    if ref_of_entity(user_entity) != principal.user_ref.lower():
        return owners
    return owners | (principal.plugin_owners & Owners.of(groups_of_entity(user_entity)))


def owner_for_new_run(owners: Owners, requested: str | None) -> str | None:
    """The owner a new run gets: the one asked for, if the caller may act for it; the
    caller's only owner when none was named; none for a caller that acts for any owner.
    Owners are kept in lower case, so indexes, metric labels and keys have one spelling."""
    if requested is None:
        if owners.every:
            return None
        if len(owners.names) == 1:
            return next(iter(owners.names))
        raise NotAllowedError(
            f"name the run's owner in context.owner: this credential creates runs for "
            f"{owners.shown()}"
        )
    if requested in owners:
        return requested.lower()  # refs compare without case: one spelling in every index
    raise NotAllowedError(
        f"this credential may not create runs for {requested[:128]!r}; it creates runs for "
        f"{owners.shown()}"
    )


def user_for_new_run(principal: Principal, requested: str | None) -> str | None:
    """The run's `userRef`: a verified user (a plugin token's `obo`) is the run's user and may
    not be named otherwise; a static token's caller names the user it likes."""
    if principal.user_ref is None:
        return requested
    if requested is not None and requested.lower() != principal.user_ref.lower():
        raise NotAllowedError(
            f"context.userRef {requested[:128]!r} is not the token's user {principal.user_ref}"
        )
    return principal.user_ref


def sees(principal: Principal, owner: str | None, user_ref: str | None) -> bool:
    """Whether a caller may see (read, follow, cancel) a run."""
    owners = principal.visible_owners
    if owners.every or (owner is not None and owner in owners):
        return True
    return principal.user_ref is not None and user_ref == principal.user_ref
