"""How a failed git command is classified: what ssh says when a key or a host key is refused,
or the repository is missing, is permanent, though every ssh failure ends with the `Could not
read from remote repository` a dropped connection ends with too."""

from __future__ import annotations

import git
import pytest

from actionpool.actions.builtin.git.repository import (
    GitError,
    PushRejectedError,
    TransientGitError,
    failure,
)

SSH_TAIL = (
    "fatal: Could not read from remote repository.\n\n"
    "Please make sure you have the correct access rights\nand the repository exists.\n"
)
PERMANENT = {
    "a refused key": "git@127.0.0.1: Permission denied (publickey).\r\n",
    "a refused key, other methods too": "git@host: Permission denied (publickey,password).\r\n",
    "an unknown host key": (
        "No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict "
        "checking.\r\nHost key verification failed.\r\n"
    ),
    "a changed host key": (
        "@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\r\nHost key for "
        "[127.0.0.1]:2222 has changed and you have requested strict checking.\r\n"
        "Host key verification failed.\r\n"
    ),
    "too many keys offered": (
        "Received disconnect from 127.0.0.1 port 2222:2: Too many authentication failures\r\n"
    ),
    "no such repository (git-shell)": (
        "fatal: '/srv/x.git' does not appear to be a git repository\n"
    ),
    "no such repository (GitHub)": "ERROR: Repository not found.\n",
}
TRANSIENT = {
    "a refused connection": "ssh: connect to host 127.0.0.1 port 2222: Connection refused\r\n",
    "a connection closed": "Connection closed by 127.0.0.1 port 2222\r\n",
    "a closed key exchange": "kex_exchange_identification: Connection closed by remote host\r\n",
    "no host": "ssh: Could not resolve hostname nowhere.invalid: Name or service not known\r\n",
}


def error(stderr: str) -> git.GitCommandError:
    return git.GitCommandError(["git", "fetch", "--", "ssh://h/r.git"], 128, stderr)


@pytest.mark.parametrize("stderr", PERMANENT.values(), ids=PERMANENT.keys())
def test_what_trying_again_cannot_mend_over_ssh_fails_permanently(stderr: str) -> None:
    # Given git's stderr when ssh (or the server) refused it for good
    exc = error(stderr + SSH_TAIL)
    # When the failure is classified
    result = failure("fetch", exc)
    # Then it is a permanent GitError (not retried), saying what ssh said
    assert type(result) is GitError
    assert stderr.strip().splitlines()[-1].strip() in str(result)


@pytest.mark.parametrize("stderr", TRANSIENT.values(), ids=TRANSIENT.keys())
def test_network_failures_over_ssh_stay_transient(stderr: str) -> None:
    # Given git's stderr when ssh could not reach the server or lost it
    exc = error(stderr + SSH_TAIL)
    # When the failure is classified
    result = failure("fetch", exc)
    # Then it is retried
    assert isinstance(result, TransientGitError)


def test_a_rejected_push_is_still_a_rejected_push() -> None:
    # Given a push refused because the branch moved on
    exc = error(" ! [rejected]        main -> main (fetch first)\nerror: failed to push\n")
    # When the failure is classified
    result = failure("push", exc)
    # Then it is a PushRejectedError (the publisher fetches and commits again)
    assert isinstance(result, PushRejectedError)


def test_a_push_the_server_refuses_fails_at_once_with_its_reason() -> None:
    # Given a push refused by the server itself (a protected branch, a declined hook)
    reason = "protected branch hook declined"
    exc = error(f" ! [remote rejected] main -> main ({reason})\nerror: failed to push\n")
    # When the failure is classified
    result = failure("push", exc)
    # Then it is permanent, not a moved branch to fetch again, and keeps the server's reason
    assert type(result) is GitError and reason in str(result)


def test_a_push_that_lost_a_race_for_the_ref_is_a_rejected_push() -> None:
    exc = error(" ! [remote rejected] main -> main (cannot lock ref 'refs/heads/main')\n")
    assert isinstance(failure("push", exc), PushRejectedError)
