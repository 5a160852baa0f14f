"""Every input of the hostile corpus is refused by git:publish's input model (so the API
answers 422 before anything runs), naming the field at fault."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from actionpool.actions.builtin.git.config import GitConfig
from actionpool.actions.builtin.git.publish import publish_action
from actionpool.actions.testing import ActionHarness
from tests.unit.actions.builtin.git.hostile_corpus import BASE, CORPUS, Hostile


def test_the_corpus_is_large_and_its_base_is_valid(git_config: GitConfig, tmp_path: Path) -> None:
    # Given the corpus and its base input
    harness = ActionHarness(publish_action(git_config), workspace_root=tmp_path)
    # Then it holds at least 30 distinct hostile inputs, and without them the input is fine
    assert len({h.id for h in CORPUS}) == len(CORPUS) >= 30
    harness.validate(BASE)


@pytest.mark.parametrize("hostile", CORPUS, ids=[h.id for h in CORPUS])
def test_a_hostile_input_is_refused_by_the_input_model(
    hostile: Hostile, git_config: GitConfig, canary: Path, tmp_path: Path
) -> None:
    # Given git:publish configured with the test library
    harness = ActionHarness(publish_action(git_config), workspace_root=tmp_path)
    # When the hostile input is validated
    with pytest.raises(ValidationError) as refused:
        harness.validate(hostile.input(canary))
    # Then the error names the field at fault, and nothing ran
    fields = {".".join(map(str, e["loc"][:1])) for e in refused.value.errors()}
    assert hostile.field in fields, refused.value
    assert not canary.exists()
