/*
 * Which run a step execution belongs to: the step's identity in its task, and from it the
 * idempotency keys and checkpoint keys of the step's run and of each run after it.
 */
import { createHash } from 'node:crypto';
import type { JsonObject } from '@backstage/types';

export interface StepIdentity {
  taskId: string;
  stepId: string;
  /** The `each` key, for a step that runs once per item. */
  iteration?: string;
}

/** What of an ActionContext names the step. */
export interface StepContext {
  task: { id: string };
  step?: { id?: string };
  each?: JsonObject;
}

export class MissingStepIdError extends Error {
  constructor() {
    super(
      'The scaffolder did not give this action its step id (ctx.step.id); actionpool needs it ' +
        'to run each step once across retries. Use a Backstage whose scaffolder passes ctx.step ' +
        '(1.45 does).',
    );
    this.name = 'MissingStepIdError';
  }
}

export function stepIdentityOf(ctx: StepContext): StepIdentity {
  const stepId = ctx.step?.id;
  if (!stepId) {
    throw new MissingStepIdError();
  }
  const key = ctx.each?.key;
  if (key === undefined || key === null) {
    return { taskId: ctx.task.id, stepId };
  }
  return {
    taskId: ctx.task.id,
    stepId,
    iteration: typeof key === 'string' ? key : JSON.stringify(key),
  };
}

const KEY_CHARACTERS = /^[A-Za-z0-9._:@/+=-]{1,255}$/;

/**
 * The key as the pool accepts it (1-255 of `A-Z a-z 0-9 . _ : @ / + = -`): itself when it is
 * one, else `sha256:` and the hex digest of it (stable, so retries still find their run).
 */
export function poolSafeKey(raw: string): string {
  if (KEY_CHARACTERS.test(raw)) {
    return raw;
  }
  return `sha256:${createHash('sha256').update(raw, 'utf8').digest('hex')}`;
}

/**
 * `${taskId}:${stepId}` for the step's first run; `${taskId}:${stepId}:after:${runId}` for
 * the run that follows run `runId` when that one ended unsuccessfully. An `each` step adds
 * `:each:${key}` after the step id.
 */
export function idempotencyKey(
  identity: StepIdentity,
  previousRunId?: string,
): string {
  const parts = [identity.taskId, identity.stepId];
  if (identity.iteration !== undefined) {
    parts.push('each', identity.iteration);
  }
  if (previousRunId !== undefined) {
    parts.push('after', previousRunId);
  }
  return poolSafeKey(parts.join(':'));
}

/**
 * The checkpoint keeping the run's id (the scaffolder scopes checkpoints to the step):
 * `actionpool.run.v1`, or `actionpool.run.v1.after.${runId}` for a run's successor; an
 * `each` step adds `[${key}]` after `v1`.
 */
export function checkpointKey(
  identity: StepIdentity,
  previousRunId?: string,
): string {
  const base =
    identity.iteration === undefined
      ? 'actionpool.run.v1'
      : `actionpool.run.v1[${identity.iteration}]`;
  return previousRunId === undefined ? base : `${base}.after.${previousRunId}`;
}
