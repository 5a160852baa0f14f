"""Where the pool is and the credential: flags beat the environment, which beats the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from actionpool.console.config import Flags, Target, configured_url, read_config, resolve, target
from actionpool.console.http import CliError

FILE = {"url": "http://file:8000", "token": "file-token"}


def test_the_file_alone_names_the_pool() -> None:
    assert resolve(Flags(), {}, FILE, Path(".")) == Target("http://file:8000", "file-token")


def test_the_environment_beats_the_file() -> None:
    env = {"ACTIONPOOL_URL": "http://env:8000", "ACTIONPOOL_TOKEN": "env-token"}
    assert resolve(Flags(), env, FILE, Path(".")) == Target("http://env:8000", "env-token")


def test_flags_beat_the_environment_each_on_its_own() -> None:
    env = {"ACTIONPOOL_URL": "http://env:8000", "ACTIONPOOL_TOKEN": "env-token"}
    found = resolve(Flags(url="http://flag:8000/"), env, FILE, Path("."))
    assert found == Target("http://flag:8000", "env-token")


def test_no_token_anywhere_sends_none() -> None:
    assert resolve(Flags(url="http://x"), {}, {}, Path(".")).token is None


def test_no_url_anywhere_is_a_usage_error_naming_the_variable() -> None:
    with pytest.raises(CliError) as raised:
        resolve(Flags(token="t"), {}, {}, Path("."))
    assert raised.value.exit_code == 2
    assert "ACTIONPOOL_URL" in str(raised.value)


CONTEXTS = {
    "current-context": "prod",
    "contexts": {
        "prod": {"url": "https://prod", "token": "prod-token"},
        "dev": {"url": "http://dev", "tokenFile": "dev-token"},
    },
}


def test_the_current_context_is_used_by_default() -> None:
    assert resolve(Flags(), {}, CONTEXTS, Path(".")) == Target("https://prod", "prod-token")


def test_a_context_by_flag_beats_the_variable_and_reads_its_token_file(tmp_path: Path) -> None:
    (tmp_path / "dev-token").write_text("dev-secret\n")
    env = {"ACTIONPOOL_CONTEXT": "prod"}
    found = resolve(Flags(context="dev"), env, CONTEXTS, tmp_path)
    assert found == Target("http://dev", "dev-secret")


def test_an_unknown_context_is_a_usage_error() -> None:
    with pytest.raises(CliError) as raised:
        resolve(Flags(context="staging"), {}, CONTEXTS, Path("."))
    assert raised.value.exit_code == 2


def test_a_token_file_that_cannot_be_read_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(CliError) as raised:
        resolve(Flags(context="dev"), {}, CONTEXTS, tmp_path)
    assert raised.value.exit_code == 2 and "dev-token" in str(raised.value)


def test_the_file_is_read_from_actionpool_config(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("url: http://from-file:8000\ntokenFile: token\n")
    (tmp_path / "token").write_text("t0k3n")
    env = {"ACTIONPOOL_CONFIG": str(path)}
    assert target(Flags(), env) == Target("http://from-file:8000", "t0k3n")
    assert configured_url(Flags(), env)
    assert not configured_url(Flags(), {"ACTIONPOOL_CONFIG": str(tmp_path / "none.yaml")})


def test_no_file_is_an_empty_config_and_a_broken_one_an_error(tmp_path: Path) -> None:
    assert read_config(tmp_path / "missing.yaml") == {}
    broken = tmp_path / "broken.yaml"
    broken.write_text("url: [unclosed\n")
    with pytest.raises(CliError) as raised:
        read_config(broken)
    assert raised.value.exit_code == 2
    broken.write_text("- a list\n")
    with pytest.raises(CliError):
        read_config(broken)
