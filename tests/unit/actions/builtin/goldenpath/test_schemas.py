"""Every pipeline the shipped library composes (each language, runtime, provider and tier)
is valid against its provider's published JSON Schema (tests/schemas/, shipped with the
tests: SchemaStore's github-workflow.json and GitLab's ci.json)."""

from __future__ import annotations

import functools
import itertools
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from actionpool.actions.builtin.goldenpath.catalog import catalog_of
from actionpool.actions.builtin.goldenpath.config import GoldenPathConfig
from actionpool.actions.builtin.goldenpath.pipeline import compose
from actionpool.actions.builtin.goldenpath.selection import Selection, select_snippets

SCHEMAS = Path(__file__).resolve().parents[5] / "tests" / "schemas"
SCHEMA_FILES = {"github-actions": "github-workflows.json", "gitlab-ci": "gitlab-ci.json"}
TIERS = ("basic", "standard", "regulated")


@functools.cache
def validator(provider: str) -> jsonschema.protocols.Validator:
    """A validator of the Draft the schema declares (`$schema`), checking formats too."""
    schema = json.loads((SCHEMAS / SCHEMA_FILES[provider]).read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def combinations() -> list[tuple[str, str, str, str]]:
    runtimes = catalog_of(GoldenPathConfig()).snippets.runtimes
    return [
        (provider, language, runtime, tier)
        for provider, (language, versions), tier in itertools.product(
            SCHEMA_FILES, runtimes.items(), TIERS
        )
        for runtime in versions
    ]


def errors(provider: str, document: Any) -> list[str]:
    found = validator(provider).iter_errors(document)
    return [f"{e.json_path}: {e.message[:300]}" for e in found]


def test_the_schemas_are_the_vendored_draft_7_ones() -> None:
    for provider in SCHEMA_FILES:
        assert type(validator(provider)).__name__ == "Draft7Validator"
    assert len(combinations()) == 2 * 7 * 3  # providers x (3 + 2 + 2 runtimes) x tiers


@pytest.mark.parametrize(("provider", "language", "runtime", "tier"), combinations())
def test_every_composed_pipeline_is_valid(
    provider: str, language: str, runtime: str, tier: str
) -> None:
    # Given the shipped library's snippets for one combination
    library = catalog_of(GoldenPathConfig()).snippets
    chosen = select_snippets(library, Selection(provider, language, runtime, tier))
    values = {"name": "billing", "language": language, "runtime": runtime}
    # When its pipeline is composed and read back as the CI would read the file
    text = compose(chosen, provider, values=values, branch="main").text()
    document = yaml.safe_load(text)
    # Then it is valid against the provider's schema
    assert errors(provider, document) == []


def test_the_schemas_refuse_a_broken_pipeline() -> None:
    # Given a workflow job with no runs-on, and a GitLab job with a misspelt keyword
    workflow = {"on": "push", "jobs": {"build": {"steps": [{"run": "make"}]}}}
    gitlab = {"stages": ["build"], "build": {"stage": "build", "scripts": ["make"]}}
    # Then each is refused: the validation above can fail
    assert errors("github-actions", workflow)
    assert errors("gitlab-ci", gitlab)
