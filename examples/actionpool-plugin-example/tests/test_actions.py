"""The example's own tests: `ActionHarness` runs the actions as the pool would, without
Celery or Redis."""

from __future__ import annotations

from pathlib import Path

import pytest
from actionpool_plugin_example.actions import create_slug, slug_of, slugify
from pydantic import ValidationError

from actionpool.actions import NonRetryableActionError
from actionpool.actions.testing import ActionHarness


@pytest.mark.parametrize(
    ("name", "prefix", "slug"),
    [
        ("Payments API", "", "payments-api"),
        ("Crème Brûlée Service", "food", "food-creme-brulee-service"),
        ("  ledger__v2 ", "", "ledger-v2"),
    ],
)
def test_slugs(name: str, prefix: str, slug: str) -> None:
    assert slug_of(name, prefix) == slug


def test_the_action_names_the_repository_and_logs_it(tmp_path: Path) -> None:
    # Given the action in a harness
    harness = ActionHarness(create_slug, workspace_root=tmp_path)
    # When it runs
    output = harness.run({"displayName": "Payments Ledger", "prefix": "pay"})
    # Then it answers the name and says so in the run's log
    assert output == {"slug": "pay-payments-ledger"}
    assert harness.messages() == ["repository name for 'Payments Ledger': pay-payments-ledger"]


def test_input_without_a_name_is_refused_before_it_runs(tmp_path: Path) -> None:
    harness = ActionHarness(create_slug, workspace_root=tmp_path)
    with pytest.raises(ValidationError, match="no letters or digits"):
        harness.validate({"displayName": "!!!"})
    with pytest.raises(ValidationError, match="prefix"):
        harness.validate({"displayName": "x", "prefix": "-rf"})


def test_a_reserved_word_fails_the_run_without_a_retry(tmp_path: Path) -> None:
    harness = ActionHarness(create_slug, workspace_root=tmp_path)
    with pytest.raises(NonRetryableActionError, match="reserved"):
        harness.run({"displayName": "Internal Tools"})


def test_the_old_name_still_works_and_warns(tmp_path: Path) -> None:
    harness = ActionHarness(slugify, workspace_root=tmp_path)
    assert harness.run({"displayName": "Payments"}) == {"slug": "payments"}
    assert harness.messages("warning") == [
        "example:slugify is deprecated (renamed); use example:slug:create instead"
    ]
