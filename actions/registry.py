"""The set of actions a pool can run: built-ins plus `actionpool.actions` entry points."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Iterator, Mapping
from importlib.metadata import EntryPoint, PackageNotFoundError, entry_points, version
from typing import TYPE_CHECKING, Any

from actionpool.actions.action import MAX_ACTION_ID_LENGTH, Action, Source, is_action_id
from actionpool.actions.errors import (
    DuplicateActionError,
    InvalidOverrideError,
    PluginLoadError,
    UnknownActionError,
)

if TYPE_CHECKING:
    from actionpool.actions.settings import ActionSettings

ENTRY_POINT_GROUP = "actionpool.actions"

log = logging.getLogger(__name__)

AnyAction = Action[Any, Any]


class Registry:
    """Actions by id. `get` raises `UnknownActionError` for an id it does not hold."""

    def __init__(self, actions: Iterable[AnyAction] = ()) -> None:
        self._actions: dict[str, AnyAction] = {}
        self.plugin_errors: list[PluginLoadError] = []
        for item in actions:
            self.register(item)

    def register(self, item: AnyAction, source: Source | None = None) -> None:
        """Add an action; `source` (the distribution it comes from) replaces the action's own."""
        if item.id in self._actions:
            raise DuplicateActionError(f"action {item.id!r} is registered twice")
        if source is not None:
            item = dataclasses.replace(item, source=source)
        self._actions[item.id] = item

    def get(self, action_id: str) -> AnyAction:
        found = self._actions.get(action_id) if is_action_id(action_id) else None
        if found is None:
            raise UnknownActionError(f"No action with id {shown(action_id)} is registered")
        return found

    def __iter__(self) -> Iterator[AnyAction]:
        return iter(sorted(self._actions.values(), key=lambda a: a.id))

    def __len__(self) -> int:
        return len(self._actions)

    def queues(self) -> list[str]:
        return sorted({a.queue for a in self._actions.values()})

    def load_plugins(self, found: Iterable[EntryPoint] | None = None) -> None:
        """Register every entry-point plugin; a broken one is recorded and logged, not raised."""
        if found is None:
            found = entry_points(group=ENTRY_POINT_GROUP)
        for entry in found:
            try:
                for item in _actions_in(entry.load()):
                    self.register(item, source_of(entry))
            except Exception as exc:  # a plugin may fail in any way; the pool must not
                error = PluginLoadError(f"plugin {entry.name!r} ({entry.value}): {exc!r}")
                self.plugin_errors.append(error)
                log.error("action plugin failed to load: %s", error)

    def apply_overrides(self, overrides: Mapping[str, Mapping[str, Any]]) -> None:
        """Replace actions by copies with operator overrides (timeouts, retries, queue)."""
        for action_id, changes in overrides.items():
            try:
                self._actions[action_id] = self.get(action_id).with_overrides(**changes)
            except (TypeError, ValueError) as exc:
                raise InvalidOverrideError(f"override of {action_id}: {exc}") from exc


def shown(action_id: str) -> str:
    """An id as an error message quotes it: cut after the longest valid id (a URL may carry
    any text, 100 KB of it too)."""
    if len(action_id) <= MAX_ACTION_ID_LENGTH:
        return repr(action_id)
    return f"{action_id[:MAX_ACTION_ID_LENGTH]!r}… ({len(action_id)} characters)"


def _actions_in(loaded: object) -> list[AnyAction]:
    if isinstance(loaded, Action):
        return [loaded]
    if isinstance(loaded, (list, tuple)) and all(isinstance(a, Action) for a in loaded):
        return list(loaded)
    raise TypeError(f"entry point gave {type(loaded).__name__}, not an Action or a list of them")


def source_of(entry: EntryPoint) -> Source:
    """The distribution that declared an entry point (its module, if none is known; its
    metadata may lack a version)."""
    dist = entry.dist
    if dist is None or not dist.name:
        return Source(package=entry.module, version="unknown")
    return Source(package=dist.name, version=dist.version or "unknown")


def own_source() -> Source:
    """Where the built-in actions come from: this installed actionpool."""
    try:
        return Source(package="actionpool", version=version("actionpool"))
    except PackageNotFoundError:  # run from a source tree that was never installed
        return Source(package="actionpool", version="unknown")


def build_registry(settings: ActionSettings | None = None) -> Registry:
    """Built-in actions, plugins found through entry points, then operator overrides; the
    settings (read from the environment when not given) say what the built-ins may reach."""
    from actionpool.actions.builtin import builtin_actions
    from actionpool.actions.settings import ActionSettings

    settings = settings or ActionSettings()
    registry = Registry()
    for item in builtin_actions(settings):
        registry.register(item, own_source())
    registry.load_plugins()
    registry.apply_overrides(settings.action_overrides)
    return registry
