"""`GET /v1/actions` names the plugins that did not load in its headers (the body stays
Backstage's list)."""

from __future__ import annotations

from importlib.metadata import EntryPoint

from actionpool.actions.registry import Registry
from actionpool.api.routes.actions import failed_plugins


def test_the_names_are_the_entry_points_of_the_registrys_errors() -> None:
    registry = Registry()
    registry.load_plugins(
        [
            EntryPoint("broken", "no_such_module_here:x", "actionpool.actions"),
            EntryPoint("odd name\r\n", "no_such_module_either:y", "actionpool.actions"),
        ]
    )
    assert failed_plugins(str(error) for error in registry.plugin_errors) == [
        "broken",
        "odd?name?r?n",  # as the error quotes it (repr), header-safe
    ]


def test_a_message_of_another_shape_is_counted_unnamed() -> None:
    assert failed_plugins(["something else"]) == ["?"]
