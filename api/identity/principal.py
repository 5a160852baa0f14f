"""`Principal`: a verified caller, with the scopes and owners its credential grants."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable
from typing import Literal


class Scope(enum.StrEnum):
    """What a credential may do. `admin` implies every other scope and every owner."""

    RUNS_CREATE = "runs:create"
    RUNS_READ = "runs:read"
    RUNS_OPERATE = "runs:operate"
    ADMIN = "admin"


EVERY_OWNER = "*"
"""In a credential's owners: it may act for any owner (and for runs without one)."""


@dataclasses.dataclass(frozen=True)
class Owners:
    """The owners (`group:default/payments`, `user:default/alice`) a credential acts for."""

    names: frozenset[str] = frozenset()
    every: bool = False

    @classmethod
    def of(cls, names: Iterable[str]) -> Owners:
        listed = frozenset(name.lower() for name in names)
        return cls(listed - {EVERY_OWNER}, EVERY_OWNER in listed)

    def __contains__(self, owner: object) -> bool:
        """Entity refs compare without case, as in Backstage."""
        return self.every or (isinstance(owner, str) and owner.lower() in self.names)

    def __and__(self, other: Owners) -> Owners:
        if self.every:
            return other
        if other.every:
            return self
        return Owners(self.names & other.names)

    def __or__(self, other: Owners) -> Owners:
        return Owners(self.names | other.names, self.every or other.every)

    def shown(self) -> str:
        return EVERY_OWNER if self.every else ", ".join(sorted(self.names)) or "no owner"


CredentialKind = Literal["static", "backstage", "anonymous"]


@dataclasses.dataclass(frozen=True)
class Principal:
    """A caller whose credential was verified.

    `subject` names the credential (a static token's subject, or `plugin:<id>` for a Backstage
    plugin token); `user_ref` is the Backstage user a plugin token acts for (its verified `obo`
    token), else None.
    """

    kind: CredentialKind
    subject: str
    scopes: frozenset[Scope]
    owners: Owners
    user_ref: str | None = None
    plugin_owners: Owners | None = None
    """For a plugin token acting for a user: the owners the plugin may act for, within which
    the user's groups named by its entity (`policy.creating_owners`) count."""

    @property
    def is_admin(self) -> bool:
        return Scope.ADMIN in self.scopes

    @property
    def credential_id(self) -> str:
        """What rate limits count by: the credential, and the user it acts for."""
        return f"{self.kind}:{self.subject}" + (f":{self.user_ref}" if self.user_ref else "")

    def may(self, scope: Scope | None) -> bool:
        return scope is None or self.is_admin or scope in self.scopes

    @property
    def visible_owners(self) -> Owners:
        return Owners(every=True) if self.is_admin else self.owners


ANONYMOUS = Principal(
    kind="anonymous", subject="anonymous", scopes=frozenset(Scope), owners=Owners(every=True)
)
"""Every request's principal when authentication is disabled (`ACTIONPOOL_AUTH_DISABLED`)."""
