from importlib.metadata import EntryPoint

import pytest

from actionpool.actions.builtin import BUILTIN_ACTIONS
from actionpool.actions.builtin.debug import log
from actionpool.actions.errors import DuplicateActionError, InvalidOverrideError, UnknownActionError
from actionpool.actions.registry import ENTRY_POINT_GROUP, Registry, build_registry

PLUGIN = "tests.unit.actions.plugin_actions"


def entry(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


def test_builtins_are_registered() -> None:
    registry = build_registry()
    assert {"debug:log", "debug:sleep", "debug:fail"} <= {a.id for a in registry}


def test_unknown_id_raises_unknown_action_error() -> None:
    with pytest.raises(UnknownActionError, match="nope:nope"):
        Registry(BUILTIN_ACTIONS).get("nope:nope")


def test_an_id_cannot_be_registered_twice() -> None:
    with pytest.raises(DuplicateActionError):
        Registry([log, log])


def test_plugins_load_single_actions_and_lists() -> None:
    # Given entry points naming one action and a list of actions
    registry = Registry()
    registry.load_plugins([entry("one", f"{PLUGIN}:hello"), entry("many", f"{PLUGIN}:ALL")])
    # Then all are registered and nothing failed
    assert [a.id for a in registry] == ["acme:bye", "acme:hello"]
    assert registry.plugin_errors == []


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("tests.unit.actions.no_such_module:x", "ModuleNotFoundError"),
        (f"{PLUGIN}:NOT_AN_ACTION", "not an Action"),
        (f"{PLUGIN}:broken", "AttributeError"),
    ],
)
def test_a_broken_plugin_is_reported_not_raised(value: str, reason: str) -> None:
    # Given a good plugin and a broken one
    registry = Registry()
    registry.load_plugins([entry("broken-plugin", value), entry("good", f"{PLUGIN}:hello")])
    # Then the good one is registered and the broken one reported with its name and error
    assert [a.id for a in registry] == ["acme:hello"]
    (error,) = registry.plugin_errors
    assert "broken-plugin" in str(error) and reason in str(error)


def test_overrides_replace_the_registered_action() -> None:
    registry = build_registry({"debug:sleep": {"timeout_s": 5, "max_attempts": 1}})
    changed = registry.get("debug:sleep")
    assert (changed.timeout_s, changed.retry.max_attempts) == (5, 1)


def test_override_of_unknown_action_is_an_error() -> None:
    with pytest.raises(UnknownActionError):
        build_registry({"nope:x": {"timeout_s": 5}})


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"timeout": 5}, "unknown field(s) ['timeout']"),
        ({"soft_timeout_s": 9999}, "soft_timeout_s"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"id": "other:id"}, "unknown field(s) ['id']"),
    ],
)
def test_invalid_override_names_the_action_and_the_reason(changes: dict, reason: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidOverrideError, match="override of debug:sleep") as raised:
        build_registry({"debug:sleep": changes})
    assert reason in str(raised.value)
