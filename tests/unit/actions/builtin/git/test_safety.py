"""The pure checks of remotes, refs, paths and values (actions/builtin/git/safety.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from actionpool.actions.builtin.git.config import GitConfig
from actionpool.actions.builtin.git.safety import (
    branch_name_problem,
    host_allowed,
    ref_name_problem,
    relative_path_problem,
    remote_url_problem,
    scrub_url,
    values_problem,
)

DEFAULTS = GitConfig()


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/acme/service.git",
        "https://GitHub.com/acme/service",
        "https://gitlab.com:8443/group/sub/project.git",
        "ssh://git@github.com/acme/service.git",
        "ssh://git@bitbucket.org:2222/acme/service.git",
        "git@github.com:acme/service.git",
    ],
)
def test_remotes_on_allowed_schemes_and_hosts_are_accepted(url: str) -> None:
    # Given the default allowlists, When a usual remote is checked, Then it passes
    assert remote_url_problem(url, DEFAULTS) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ext::sh -c touch% /tmp/x", "spaces"),
        ("ext::sh", "transport"),
        ("fd::7", "transport"),
        ("-uhttps://github.com/a/b", "'-'"),
        ("https://github.com/a/b?--upload-pack=x", "git options"),
        ("http://github.com/a/b", "scheme 'http'"),
        ("https://example.com/a/b", "not allowed"),
        ("https://github.com.evil.example/a/b", "not allowed"),
        ("https://token@github.com/a/b", "credentials"),
        ("https://u:p@github.com/a/b", "credentials"),
        ("ssh://git:p@github.com/a/b", "credentials"),
        ("ssh://-oProxyCommand=x/a", "host"),
        ("https://github.com/", "repository path"),
        ("https://github.com/-a", "repository path"),
        ("https://github.com:0x50/a", "port"),
        ("file:///srv/git/a.git", "file_roots"),
        ("/srv/git/a.git", "file_roots"),
        ("https://github.com/a/b#f", "fragment"),
    ],
)
def test_hostile_or_unlisted_remotes_are_refused_with_a_reason(url: str, reason: str) -> None:
    # When a hostile remote is checked against the defaults
    problem = remote_url_problem(url, DEFAULTS)
    # Then it is refused, saying why
    assert problem is not None and reason in problem, problem


def test_local_remotes_are_allowed_only_under_a_file_root(tmp_path: Path) -> None:
    # Given a file root, a repository in it, and a symlink in it pointing out of it
    root = tmp_path / "root"
    (root / "repo.git").mkdir(parents=True)
    (tmp_path / "outside.git").mkdir()
    (root / "escape.git").symlink_to(tmp_path / "outside.git")
    config = GitConfig(file_roots=(root,))
    # Then the repository is allowed as a path and a file:// URL, and the escapes are not
    assert remote_url_problem(f"file://{root}/repo.git", config) is None
    assert remote_url_problem(f"{root}/repo.git", config) is None
    assert remote_url_problem(f"file://{root}/escape.git", config) is not None
    assert remote_url_problem(f"file://{root}/../outside.git", config) is not None
    assert remote_url_problem("file://otherhost/srv/x", config) is not None
    assert remote_url_problem("repo.git", config) is not None


def test_host_entries_match_exactly_or_by_subdomain_wildcard() -> None:
    # Given an exact entry and a wildcard entry
    hosts = ("github.com", "*.corp.example")
    # Then exact matches (any case) and subdomains of the wildcard pass; nothing else does
    assert host_allowed("GITHUB.com", hosts)
    assert host_allowed("git.corp.example", hosts)
    assert not host_allowed("corp.example", hosts)
    assert not host_allowed("api.github.com", hosts)
    assert not host_allowed("evilcorp.example", hosts)


@pytest.mark.parametrize("name", ["main", "feature/x-1", "release/2024.1", "v1.0", "a_b"])
def test_ordinary_branch_names_are_accepted(name: str) -> None:
    assert branch_name_problem(name) is None


@pytest.mark.parametrize(
    "name",
    [
        "",
        "-x",
        "--upload-pack=x",
        "a..b",
        "a@{1}",
        "@",
        "a b",
        "a~1",
        "a^",
        "a:b",
        "a?",
        "a*",
        "a[b",
        "a\\b",
        "a\x01",
        "a.lock",
        "a/b.lock",
        ".a",
        "a/.b",
        "a/",
        "/a",
        "a//b",
        "a.",
        "HEAD",
        "refs/heads/main",
        "x" * 256,
    ],
)
def test_branch_names_git_check_ref_format_refuses_are_refused(name: str) -> None:
    assert branch_name_problem(name) is not None


def test_refs_may_be_full_refs_tags_or_shas_but_follow_the_same_rules() -> None:
    assert ref_name_problem("refs/tags/v1.0") is None
    assert ref_name_problem("0" * 40) is None
    assert ref_name_problem("HEAD") is None
    assert ref_name_problem("HEAD^{tree}") is not None


@pytest.mark.parametrize("path", ["a.txt", "src/{{ name }}/main.py", ".github/ci.yml", "a b"])
def test_relative_paths_inside_the_folder_are_accepted(path: str) -> None:
    assert relative_path_problem(path) is None


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/etc/passwd",
        "..",
        "a/../../b",
        "C:/x",
        "c:x",
        "a\\b",
        ".git/config",
        "a/.GIT/x",
        ".git./x",
        "a\x00b",
        "a\nb",
        "x" * 256,
    ],
)
def test_paths_out_of_the_folder_or_into_git_are_refused(path: str) -> None:
    assert relative_path_problem(path) is not None


def test_values_are_plain_json_objects_within_the_caps() -> None:
    # Then a usual object passes, and the rest is refused
    assert values_problem({"name": "svc", "tags": ["a"], "n": 1, "x": None}, 1_000) is None
    assert values_problem([1], 1_000) is not None
    assert values_problem({"_private": 1}, 1_000) is not None
    assert values_problem({"a-b": 1}, 1_000) is not None
    assert values_problem({"name": "x" * 1_000}, 1_000) is not None
    assert values_problem({"name": float("inf")}, 1_000) is not None
    deep: object = "x"
    for _ in range(17):
        deep = [deep]
    assert values_problem({"name": deep}, 1_000) is not None


def test_user_info_is_scrubbed_from_urls_in_text() -> None:
    text = "fatal: unable to access 'https://x-access-token:ghp_1@github.com/a/b/': 403"
    assert scrub_url(text) == "fatal: unable to access 'https://github.com/a/b/': 403"
