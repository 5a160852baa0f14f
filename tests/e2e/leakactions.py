"""Actions for `tests/e2e/test_secret_leak.py`, installed into the workers as an entry-point
plugin: each shows its run's secret `token` every way an action can.

- `leak:log` logs it: through the run's logger (a line and an exception), a library's logger,
  stdout and stderr, a child span's attribute, and the query of an instrumented HTTP call.
- `leak:output` returns it in its output (top level, inside a URL, nested).
- `leak:fail` fails with it in the message: attempt 1 retryably (inside a child span, the
  secret also in the chained cause), attempt 2 for good.
"""

from __future__ import annotations

import logging
import sys

import httpx

from actionpool.actions import ActionContext, ActionModel, RetryPolicy, action
from actionpool.actions.errors import NonRetryableActionError, RetryableActionError


class Empty(ActionModel):
    pass


class LogInput(ActionModel):
    url: str


@action("leak:log", description="Logs its secret every way an action can.")
def log(input: LogInput, ctx: ActionContext) -> Empty:
    token = ctx.secrets["token"]
    ctx.logger.info("logged in with %s", token)
    try:
        raise ValueError(f"a library choked on {token}")
    except ValueError:
        ctx.logger.exception("recovered from an error about %s", token)
    logging.getLogger("leakactions.library").warning("library saw %s", token)
    print(f"stdout saw {token}")
    print(f"stderr saw {token}", file=sys.stderr)
    with ctx.span("call out", **{"leak.url": f"https://api.example.com/?token={token}"}):
        httpx.get(input.url, params={"access_token": token}, timeout=5)
    return Empty()


class LeakOutput(ActionModel):
    token: str
    remote: str
    headers: dict[str, str]
    tokens: list[str]


@action("leak:output", description="Returns its secret in its output.")
def output(input: Empty, ctx: ActionContext) -> LeakOutput:
    token = ctx.secrets["token"]
    return LeakOutput(
        token=token,
        remote=f"https://x-access-token:{token}@git.example.com/acme/svc.git",
        headers={"Authorization": f"Bearer {token}"},
        tokens=["first", token],
    )


@action(
    "leak:fail",
    description="Fails with its secret in the message: once retryably, then for good.",
    retry=RetryPolicy(max_attempts=2, initial_delay_s=0.1, max_delay_s=0.2),
)
def fail(input: Empty, ctx: ActionContext) -> Empty:
    token = ctx.secrets["token"]
    if ctx.attempt == 1:
        with ctx.span("push", **{"vcs.repository.url.full": f"https://x:{token}@git.example.com"}):
            raise RetryableActionError(f"attempt 1 failed with token {token}") from KeyError(token)
    raise NonRetryableActionError(f"push refused for token {token}")


ACTIONS = [log, output, fail]
