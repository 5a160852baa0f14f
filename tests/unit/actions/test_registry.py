from importlib.metadata import EntryPoint, PathDistribution
from pathlib import Path

import pytest

from actionpool.actions.builtin import DEBUG_ACTIONS
from actionpool.actions.builtin.debug import log
from actionpool.actions.errors import DuplicateActionError, InvalidOverrideError, UnknownActionError
from actionpool.actions.registry import ENTRY_POINT_GROUP, Registry, build_registry, own_source
from actionpool.actions.settings import ActionSettings

PLUGIN = "tests.unit.actions.plugin_actions"


def entry(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


def overriding(overrides: dict[str, dict[str, object]]) -> ActionSettings:
    return ActionSettings(action_overrides=overrides)


def test_builtins_are_registered() -> None:
    registry = build_registry()
    assert {"debug:log", "debug:sleep", "debug:fail"} <= {a.id for a in registry}


def test_builtins_come_from_this_installed_actionpool() -> None:
    # Given the registry of built-ins
    registry = build_registry()
    # Then each names actionpool and its installed version as its source
    assert own_source().package == "actionpool" and own_source().version != "unknown"
    assert {a.source for a in registry} == {own_source()}


def test_a_plugin_action_names_the_distribution_behind_its_entry_point() -> None:
    # Given an entry point that belongs to an installed distribution (pytest's own, here)
    (pytest_entry,) = [e for e in _console_scripts() if e.name == "pytest"]
    found = EntryPoint(name="hello", value=f"{PLUGIN}:hello", group=ENTRY_POINT_GROUP)
    found._for(pytest_entry.dist)  # type: ignore[attr-defined]
    # When it is loaded
    registry = Registry()
    registry.load_plugins([found])
    # Then its action's source is that distribution and version
    source = registry.get("acme:hello").source
    assert source is not None and source.package == "pytest"
    assert pytest_entry.dist is not None and source.version == pytest_entry.dist.version


def test_a_distribution_whose_metadata_has_no_version_shows_unknown(tmp_path: Path) -> None:
    # Given a plugin installed as a dist-info whose METADATA names no version
    info = tmp_path / "acme_actions-0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-actions\n")
    found = entry("hello", f"{PLUGIN}:hello")
    found._for(PathDistribution(info))  # type: ignore[attr-defined]
    # When it is loaded
    registry = Registry()
    registry.load_plugins([found])
    # Then its source names the package and an unknown version (the listing still answers)
    source = registry.get("acme:hello").source
    assert source is not None and (source.package, source.version) == ("acme-actions", "unknown")


def test_an_entry_point_without_a_distribution_names_its_module() -> None:
    registry = Registry()
    registry.load_plugins([entry("one", f"{PLUGIN}:hello")])
    source = registry.get("acme:hello").source
    assert source is not None and (source.package, source.version) == (PLUGIN, "unknown")


def _console_scripts() -> list[EntryPoint]:
    from importlib.metadata import entry_points

    return list(entry_points(group="console_scripts"))


def test_unknown_id_raises_unknown_action_error() -> None:
    with pytest.raises(UnknownActionError, match="nope:nope"):
        Registry(DEBUG_ACTIONS).get("nope:nope")


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
    registry = build_registry(overriding({"debug:sleep": {"timeout_s": 5, "max_attempts": 1}}))
    changed = registry.get("debug:sleep")
    assert (changed.timeout_s, changed.retry.max_attempts) == (5, 1)


def test_override_of_unknown_action_is_an_error() -> None:
    with pytest.raises(UnknownActionError):
        build_registry(overriding({"nope:x": {"timeout_s": 5}}))


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
        build_registry(overriding({"debug:sleep": changes}))
    assert reason in str(raised.value)
