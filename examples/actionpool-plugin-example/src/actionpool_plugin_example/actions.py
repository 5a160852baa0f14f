"""`example:slug:create`: a repository name from a service's display name, checked against a
naming policy; `example:slugify`, its deprecated old name."""

from __future__ import annotations

import re
import unicodedata

from pydantic import Field, field_validator

from actionpool.actions import (
    READ_ONLY,
    ActionContext,
    ActionModel,
    Deprecation,
    Example,
    NonRetryableActionError,
    action,
)

RESERVED = frozenset({"admin", "api", "backstage", "internal", "test"})
MAX_SLUG_LENGTH = 40


def slug_of(display_name: str, prefix: str = "") -> str:
    """`"Payments API (EU)"` -> `payments-api-eu`: ASCII, lower case, words joined by `-`."""
    ascii_name = unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_name.lower())
    return "-".join([prefix, *words] if prefix else words)


class SlugInput(ActionModel):
    display_name: str = Field(
        min_length=1, max_length=200, description="The service's name as people write it"
    )
    prefix: str = Field(
        default="",
        pattern=r"^([a-z][a-z0-9]*)?$",
        description="Put before the name, such as the owning team's short name",
    )

    @field_validator("display_name")
    @classmethod
    def _has_words(cls, value: str) -> str:
        if not slug_of(value):
            raise ValueError("has no letters or digits to make a name from")
        return value


class SlugOutput(ActionModel):
    slug: str = Field(description="The repository name")


@action(
    "example:slug:create",
    description="Makes a repository name from a service's display name and checks it "
    "against the naming policy (at most 40 characters, no reserved word).",
    examples=[
        Example(
            description="Name the repository of a new service",
            example='{"input": {"displayName": "Payments API", "prefix": "pay"}}',
        )
    ],
    timeout_s=10,
    supports_dry_run=True,
    attributes=READ_ONLY,
)
def create_slug(input: SlugInput, ctx: ActionContext) -> SlugOutput:
    slug = slug_of(input.display_name, input.prefix)
    if len(slug) > MAX_SLUG_LENGTH:
        raise NonRetryableActionError(f"{slug!r} is longer than {MAX_SLUG_LENGTH} characters")
    reserved = RESERVED.intersection(slug.split("-"))
    if reserved:
        raise NonRetryableActionError(f"{slug!r} uses reserved word(s) {sorted(reserved)}")
    ctx.logger.info("repository name for %r: %s", input.display_name, slug)
    return SlugOutput(slug=slug)


slugify = action(
    "example:slugify",
    description="The old name of example:slug:create.",
    timeout_s=10,
    supports_dry_run=True,
    attributes=READ_ONLY,
    deprecation=Deprecation(replacement="example:slug:create", reason="renamed"),
)(create_slug.fn)

ACTIONS = [create_slug, slugify]
