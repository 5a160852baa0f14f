"""What of the worker's environment a run's git children lose."""

from __future__ import annotations

from actionpool.actions.builtin.git.credentials import dropped_variables


def test_the_worker_s_git_and_ssh_variables_are_dropped_but_its_ca_and_install_kept() -> None:
    worker = {
        "PATH": "/usr/bin",
        "HTTPS_PROXY": "http://proxy:3128",
        "GIT_ASKPASS": "/usr/local/bin/worker-askpass",
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "http.extraHeader",
        "GIT_SSL_NO_VERIFY": "1",
        "GIT_TRACE_CURL": "1",
        "SSH_AUTH_SOCK": "/tmp/agent.sock",
        "GIT_SSL_CAINFO": "/etc/ssl/corp.pem",
        "GIT_EXEC_PATH": "/opt/git/libexec",
    }
    assert dropped_variables(worker, {}) == [
        "GIT_ASKPASS",
        "GIT_CONFIG_COUNT",
        "GIT_CONFIG_KEY_0",
        "GIT_SSL_NO_VERIFY",
        "GIT_TRACE_CURL",
        "SSH_AUTH_SOCK",
    ]


def test_what_the_run_sets_itself_is_not_dropped() -> None:
    worker = {"GIT_ASKPASS": "/usr/local/bin/worker-askpass"}
    assert dropped_variables(worker, {"GIT_ASKPASS": "/ws/askpass"}) == []
