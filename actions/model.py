"""`ActionModel`: the base for action inputs and outputs, camelCase on the wire like Backstage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from pydantic.fields import ComputedFieldInfo, FieldInfo

ACRONYMS = {
    "api": "API",
    "ci": "CI",
    "http": "HTTP",
    "https": "HTTPS",
    "id": "ID",
    "ids": "IDs",
    "json": "JSON",
    "sbom": "SBOM",
    "sha": "SHA",
    "ssh": "SSH",
    "url": "URL",
    "urls": "URLs",
}
"""Words a form label spells in capitals (`remote_url` reads "Remote URL", not "Remoteurl")."""


def field_title(name: str, _info: FieldInfo | ComputedFieldInfo | None = None) -> str:
    """A field's label in Backstage's form: its snake_case name in sentence case, acronyms in
    capitals (`commit_sha` → "Commit SHA", `fail_attempts` → "Fail attempts")."""
    words = [ACRONYMS.get(word, word) for word in name.strip("_").split("_") if word]
    if not words:
        return name
    first = words[0]
    words[0] = first if first in ACRONYMS.values() else first.capitalize()
    return " ".join(words)


class ActionModel(BaseModel):
    """Fields are snake_case in Python and camelCase in JSON, titled for Backstage's form
    (`field_title`); unknown fields are refused."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        field_title_generator=field_title,
    )
