"""A deprecated action says so where template authors and operators look."""

from __future__ import annotations

from pathlib import Path

import pytest

from actionpool.actions.action import Deprecation, action
from actionpool.actions.context import ActionContext
from actionpool.actions.model import ActionModel
from actionpool.actions.testing import ActionHarness


class Empty(ActionModel):
    pass


@action(
    "acme:old",
    description="Does the old thing.",
    deprecation=Deprecation(replacement="acme:new", reason="it cannot retry safely"),
)
def old(input: Empty, ctx: ActionContext) -> Empty:
    return Empty()


def test_a_run_of_a_deprecated_action_logs_a_warning_naming_its_replacement(
    tmp_path: Path,
) -> None:
    harness = ActionHarness(old, workspace_root=tmp_path)
    harness.run({})
    assert harness.messages("warning") == [
        "acme:old is deprecated (it cannot retry safely); use acme:new instead"
    ]


def test_listings_add_the_notice_to_the_description() -> None:
    assert old.listed_description == (
        "Does the old thing. (Deprecated: acme:old is deprecated (it cannot retry safely); "
        "use acme:new instead.)"
    )


def test_a_deprecation_without_a_replacement_says_only_that() -> None:
    assert Deprecation().notice("acme:old") == "acme:old is deprecated"


def test_a_replacement_that_is_not_an_action_id_is_refused_when_declared() -> None:
    # A plugin's mistake fails its loading (a PluginLoadError), not every listing later
    with pytest.raises(ValueError, match="must be an action id"):
        Deprecation(replacement="not an id")
    with pytest.raises(ValueError, match="must be an action id"):
        Deprecation(replacement=old)  # type: ignore[arg-type]
