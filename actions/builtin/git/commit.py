"""The fields every action that publishes with git takes for its commit and its credentials
(`git:publish`, `golden-path:create-repository`), defined once: the same names, defaults,
rules and descriptions in each action's form."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field

NO_CONTROL = re.compile(r"^[^\x00-\x1f\x7f<>]*$")
"""Text that goes into a commit's header: no control characters, no `<` or `>`."""

SecretName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,128}$")]

CommitMessage = Annotated[str, Field(min_length=1, max_length=10_000, pattern=r"^[^\x00]*$")]
"""A commit's message (the run's `Actionpool-Run` trailer is added to it)."""

AuthorName = Annotated[
    str,
    Field(
        min_length=1, max_length=200, pattern=NO_CONTROL.pattern, description="Commit author's name"
    ),
]
AuthorEmail = Annotated[
    str,
    Field(max_length=254, pattern=r"^[^\s<>@]+@[^\s<>@]+$", description="Commit author's email"),
]
TokenSecret = Annotated[
    SecretName, Field(description="The run secret with the token for HTTPS remotes")
]
SshKeySecret = Annotated[
    SecretName, Field(description="The run secret with the SSH private key, for SSH remotes")
]

DEFAULT_AUTHOR_NAME = "actionpool"
DEFAULT_AUTHOR_EMAIL = "actionpool@localhost"
DEFAULT_TOKEN_SECRET = "gitToken"
DEFAULT_SSH_KEY_SECRET = "gitSshPrivateKey"
