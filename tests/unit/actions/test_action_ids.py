"""Action ids: Backstage style, at most 128 characters, and never echoed whole."""

from __future__ import annotations

import pytest

from actionpool.actions.action import MAX_ACTION_ID_LENGTH, is_action_id
from actionpool.actions.builtin import DEBUG_ACTIONS, builtin_actions
from actionpool.actions.errors import UnknownActionError
from actionpool.actions.registry import Registry
from actionpool.actions.settings import ActionSettings
from tests.faults import faultactions
from tests.unit.actions import plugin_actions


def test_every_builtin_plugin_and_test_action_id_is_valid() -> None:
    ids = [a.id for a in builtin_actions(ActionSettings())]
    ids += [a.id for a in (plugin_actions.hello, plugin_actions.bye)]
    ids += [a.id for a in (faultactions.count, faultactions.crash, faultactions.traced)]
    assert ids and all(is_action_id(i) for i in ids), ids


@pytest.mark.parametrize(
    "action_id",
    [
        "debug:log",
        "fetch:template",
        "github:repo:create",
        "gitlab:projectAccessToken:create",
        "publish:bitbucketCloud",
        "roadiehq:utils:fs:write",
        "acme:v1.2_create-repo",
        "3rdparty:x",
        "a:" + "b" * (MAX_ACTION_ID_LENGTH - 2),
    ],
)
def test_backstage_style_ids_are_valid(action_id: str) -> None:
    assert is_action_id(action_id)


@pytest.mark.parametrize(
    "action_id",
    ["debug", "Debug:log", "debug:", ":log", "debug::log", "debug:-log", "debug log", "a:b/c"]
    + ["a:" + "b" * (MAX_ACTION_ID_LENGTH - 1), "debug:log\n", "débug:log"],
)
def test_other_ids_are_not(action_id: str) -> None:
    assert not is_action_id(action_id)


def test_an_unknown_huge_id_is_a_404_that_quotes_only_its_start() -> None:
    # Given a registry and a 100 KB id (as a URL may carry)
    huge = "x:" + "y" * 100_000
    # When it is looked up
    with pytest.raises(UnknownActionError) as unknown:
        Registry(DEBUG_ACTIONS).get(huge)
    # Then the message quotes at most the longest valid id, and says how long it was
    message = unknown.value.message
    assert len(message) < 2 * MAX_ACTION_ID_LENGTH
    assert "(100002 characters)" in message


def test_an_unknown_short_id_is_quoted_whole() -> None:
    with pytest.raises(UnknownActionError, match="'nope:missing'"):
        Registry(DEBUG_ACTIONS).get("nope:missing")
