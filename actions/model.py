"""`ActionModel`: the base for action inputs and outputs, camelCase on the wire like Backstage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ActionModel(BaseModel):
    """Fields are snake_case in Python and camelCase in JSON; unknown fields are refused."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")
