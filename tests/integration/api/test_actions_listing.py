"""`GET /v1/actions` and Backstage's listing say where each action comes from and which are
deprecated."""

from __future__ import annotations

from typing import Any

import pytest

from actionpool.actions.action import Deprecation, Source, action
from actionpool.actions.builtin import DEBUG_ACTIONS
from actionpool.actions.context import ActionContext
from actionpool.actions.model import ActionModel
from actionpool.actions.registry import Registry, build_registry, own_source
from actionpool.api.settings import ApiSettings
from actionpool.worker.settings import PoolSettings
from tests.integration.api.conftest import serve

pytestmark = pytest.mark.anyio


class Empty(ActionModel):
    pass


@action(
    "acme:old",
    description="Does the old thing.",
    deprecation=Deprecation(replacement="acme:new", reason="it cannot retry safely"),
)
def old(input: Empty, ctx: ActionContext) -> Empty:
    return Empty()


def by_id(listing: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {entry["id"]: entry for entry in listing}


async def test_each_action_names_its_package_version_and_deprecation(
    settings: PoolSettings,
) -> None:
    # Given a pool with the built-ins and a deprecated action from a plugin package
    registry = build_registry()
    registry.register(old, Source(package="acme-actions", version="2.1.0"))
    async with serve(ApiSettings(**settings.model_dump()), registry=registry) as http:
        # When the actions are listed
        listed = by_id((await http.get("/v1/actions")).json())
    # Then the built-ins name this actionpool and are not deprecated
    builtin = own_source()
    assert listed["debug:log"]["source"] == {"package": "actionpool", "version": builtin.version}
    assert listed["debug:log"]["deprecation"] is None
    # And the plugin's action names its package, its version and its replacement
    assert listed["acme:old"]["source"] == {"package": "acme-actions", "version": "2.1.0"}
    assert listed["acme:old"]["deprecation"] == {
        "replacement": "acme:new",
        "reason": "it cannot retry safely",
    }


async def test_backstage_sees_the_deprecation_in_the_description(settings: PoolSettings) -> None:
    # Given a pool serving a deprecated action as distributed actions
    registry = Registry([*DEBUG_ACTIONS, old])
    async with serve(ApiSettings(**settings.model_dump()), registry=registry) as http:
        # When Backstage lists them
        answer = await http.get("/.backstage/actions/v1/actions")
    # Then the deprecated one says what to use instead
    assert answer.status_code == 200, answer.text
    (entry,) = [a for a in answer.json()["actions"] if a["title"] == "acme:old"]
    assert "Deprecated" in entry["description"] and "use acme:new" in entry["description"]
