"""`ActionModel`: camelCase on the wire, labels that read well in Backstage's form."""

from __future__ import annotations

import pytest
from pydantic import Field

from actionpool.actions.builtin import builtin_actions
from actionpool.actions.model import ActionModel, field_title
from actionpool.actions.settings import ActionSettings


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("remote_url", "Remote URL"),
        ("commit_sha", "Commit SHA"),
        ("fail_attempts", "Fail attempts"),
        ("url", "URL"),
        ("ssh_key_secret", "SSH key secret"),
        ("ci_provider", "CI provider"),
        ("timeout_s", "Timeout s"),
    ],
)
def test_field_titles_are_sentences_with_acronyms_in_capitals(name: str, title: str) -> None:
    assert field_title(name) == title


def test_a_model_schema_uses_the_titles_and_camel_case_names() -> None:
    class Target(ActionModel):
        repo_url: str = Field(description="Where to push")

    prop = Target.model_json_schema()["properties"]["repoUrl"]
    assert prop["title"] == "Repo URL"  # not pydantic's "Repourl" / "Repo Url"


def test_an_explicit_title_wins() -> None:
    class Target(ActionModel):
        repo_url: str = Field(title="Repository", description="Where to push")

    assert Target.model_json_schema()["properties"]["repoUrl"]["title"] == "Repository"


def test_every_builtin_input_field_has_a_title_and_a_description() -> None:
    # Given every built-in action
    for action in builtin_actions(ActionSettings()):
        schema = action.input_schema
        models = [schema, *schema.get("$defs", {}).values()]
        for model in models:
            for name, prop in model.get("properties", {}).items():
                # Then each field reads well in Backstage's form
                assert prop.get("title"), f"{action.id}: {name} has no title"
                assert prop.get("description"), f"{action.id}: {name} has no description"
