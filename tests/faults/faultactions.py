"""Actions for the fault-injection suite, installed into the workers as an entry-point plugin.

`fault:count` walks `steps` steps. Each step logs a line naming its attempt, stops if the
attempt was told to (cancelled, or its lease lost), records that the attempt is at that step
(time and process), then runs a side effect behind a checkpoint: the effect counts each of
its executions (`executed`), and is applied with a natural key (SET NX). A test reads, per
run, how often each step's effect executed, and whether two attempts ever ran at once
(`tests/faults/evidence.py`). `tag`, when given, names the request that made the run.
"""

from __future__ import annotations

import os
import signal
import time

import httpx
import redis
from pydantic import Field

from actionpool.actions import ActionContext, ActionModel, RetryPolicy, action
from actionpool.actions.errors import ActionCancelledError, RetryableActionError


class CountInput(ActionModel):
    redis_url: str
    prefix: str
    steps: int = Field(default=4, ge=1, le=100)
    step_s: float = Field(default=0.5, ge=0, le=60)
    tag: str | None = None


class CountOutput(ActionModel):
    steps: int


@action(
    "fault:count",
    description="Counts its side effects in Redis, one checkpointed step at a time.",
    timeout_s=120,
    retry=RetryPolicy(max_attempts=5, initial_delay_s=0.1, max_delay_s=0.5),
)
def count(input: CountInput, ctx: ActionContext) -> CountOutput:
    client = redis.Redis.from_url(input.redis_url, decode_responses=True)
    if input.tag:
        client.hset(f"{input.prefix}tags", input.tag, ctx.run_id)
    for step in range(input.steps):
        ctx.logger.info("attempt %d step %d", ctx.attempt, step)
        if ctx.cancelled.is_set():
            raise ActionCancelledError(f"attempt {ctx.attempt} told to stop at step {step}")
        trace = f"{ctx.attempt} {time.time()} {os.getpid()}"
        client.rpush(f"{input.prefix}trace:{ctx.run_id}", trace)
        ctx.checkpoint(f"step.{step}", lambda step=step: _effect(client, input.prefix, ctx, step))
        time.sleep(input.step_s)
    return CountOutput(steps=input.steps)


def _effect(client: redis.Redis, prefix: str, ctx: ActionContext, step: int) -> int:
    key = f"{ctx.run_id}:{step}"
    client.hincrby(f"{prefix}executed", key, 1)
    if client.set(f"{prefix}effect:{key}", ctx.attempt, nx=True):
        client.hincrby(f"{prefix}applied", key, 1)
    return step


class Empty(ActionModel):
    pass


@action(
    "fault:crash",
    description="Kills the process running it, every attempt (a poison run).",
    retry=RetryPolicy(max_attempts=3, initial_delay_s=0.1, max_delay_s=0.2),
)
def crash(input: Empty, ctx: ActionContext) -> Empty:
    os.kill(os.getpid(), signal.SIGKILL)
    return Empty()


class TracedInput(ActionModel):
    fail_attempts: int = Field(default=0, ge=0, le=5)
    hold_s: float = Field(default=0, ge=0, le=60)
    url: str | None = None


@action(
    "fault:traced",
    description="Writes child spans (a checkpoint, a sub-operation, an HTTP call), can hold "
    "for a while and fails its first `failAttempts` attempts with its secret in the message.",
    timeout_s=120,
    retry=RetryPolicy(max_attempts=4, initial_delay_s=0.1, max_delay_s=0.2),
)
def traced(input: TracedInput, ctx: ActionContext) -> Empty:
    ctx.checkpoint("prepared", lambda: True)
    token = ctx.secrets.get("token", "")
    ctx.logger.info("calling out with token %s", token)
    remote = f"https://x-access-token:{token}@git.example.com/acme/svc.git"
    with ctx.span("sub-operation", **{"fault.step": "one", "vcs.repository.url.full": remote}):
        if input.url:  # the token in the query, as some APIs want it
            httpx.get(input.url, params={"access_token": token}, timeout=5)
        ctx.sleep(input.hold_s)
    if ctx.attempt <= input.fail_attempts:
        raise RetryableActionError(f"attempt {ctx.attempt} failed with token {token}")
    return Empty()
