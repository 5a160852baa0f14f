"""`actionpool token` and the API's refusal to start without a credential."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from actionpool.api.identity.settings import StaticTokenConfig
from actionpool.api.identity.statictoken import StaticTokens
from actionpool.cli import cli


def test_token_prints_a_token_and_the_entry_that_accepts_it() -> None:
    # When a token is made for payments' CI
    result = CliRunner().invoke(
        cli, ["token", "--subject", "payments-ci", "--owner", "group:default/payments"]
    )
    # Then the printed entry accepts the printed token, and holds only its hash
    assert result.exit_code == 0, result.output
    token = result.output.split("token: ", 1)[1].split()[0]
    entry = json.loads(result.output.split("entry: ", 1)[1])
    assert token not in json.dumps(entry)
    principal = StaticTokens([StaticTokenConfig.model_validate(entry)]).verify(token)
    assert principal is not None
    assert principal.subject == "payments-ci"
    assert sorted(principal.scopes) == ["runs:create", "runs:read"]


def test_an_api_with_no_credential_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "ACTIONPOOL_STATIC_TOKENS",
        "ACTIONPOOL_BACKSTAGE_URL",
        "ACTIONPOOL_AUTH_DISABLED",
    ):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(cli, ["api"])
    assert result.exit_code == 2
    assert "ACTIONPOOL_AUTH_DISABLED" in result.output
