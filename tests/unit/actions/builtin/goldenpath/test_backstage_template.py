"""examples/backstage/templates/golden-path.yaml: every choice its form offers is input the
action accepts, and its step gives only fields the action knows."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import yaml

from actionpool.actions.builtin.goldenpath.catalog import Catalog
from actionpool.actions.builtin.goldenpath.create import create_repository_action
from actionpool.actions.settings import ActionSettings
from actionpool.actions.testing import ActionHarness

TEMPLATE = Path(__file__).resolve().parents[5] / "examples/backstage/templates/golden-path.yaml"
ACTION = "actionpool:golden-path:create-repository"
EXPRESSION = re.compile(r"^\$\{\{ parameters\.(\w+) \}\}(.*)$")


def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(TEMPLATE.read_text())
    return loaded


def form_fields() -> dict[str, dict[str, Any]]:
    return {
        k: v for page in template()["spec"]["parameters"] for k, v in page["properties"].items()
    }


def runtime_choices() -> dict[str, list[str]]:
    """The runtimes the form offers for each language (its `dependencies` on `language`)."""
    (page,) = [p for p in template()["spec"]["parameters"] if "dependencies" in p]
    cases = page["dependencies"]["language"]["oneOf"]
    return {c["properties"]["language"]["const"]: c["properties"]["runtime"]["enum"] for c in cases}


def step_input() -> dict[str, Any]:
    (step,) = [s for s in template()["spec"]["steps"] if s["action"] == ACTION]
    found: dict[str, Any] = step["input"]
    return found


def rendered(values: dict[str, Any]) -> dict[str, Any]:
    """The step's input with `${{ parameters.x }}` replaced as Backstage would; the one
    secret name stays as it is."""
    out: dict[str, Any] = {}
    for key, value in step_input().items():
        match = EXPRESSION.match(str(value))
        out[key] = f"{values[match.group(1)]}{match.group(2)}" if match else value
    return out


def test_the_step_gives_only_fields_the_action_takes(settings: ActionSettings) -> None:
    action = create_repository_action(settings)
    known = set(action.input_schema["properties"])
    assert set(step_input()) <= known, set(step_input()) - known


def test_the_form_offers_exactly_the_runtimes_of_the_library(shipped: Catalog) -> None:
    offered = {language: list(runtimes) for language, runtimes in shipped.snippets.runtimes.items()}
    assert runtime_choices() == offered
    assert sorted(form_fields()["language"]["enum"]) == sorted(offered)


def test_every_choice_of_the_form_is_accepted(
    settings: ActionSettings, shipped: Catalog, remote: Path
) -> None:
    # Given the template's form and the shipped libraries
    fields = form_fields()
    harness = ActionHarness(create_repository_action(settings))
    choices = [fields[name]["enum"] for name in ("language", "complianceTier", "ciProvider")]
    # When each combination of its choices is filled in
    for language, tier, provider in itertools.product(*choices):
        for runtime in runtime_choices()[language]:
            values = {
                "name": "billing",
                "description": "Bills",
                "owner": fields["owner"]["default"],
                "language": language,
                "runtime": runtime,
                "complianceTier": tier,
                "ciProvider": provider,
                "remoteUrl": f"file://{remote}",
                "branch": fields["branch"]["default"],
            }
            # Then the action accepts the step's input (the API would not answer 422)
            harness.validate(rendered(values))
