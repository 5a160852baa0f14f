/*
 * Which run a step execution belongs to: the step's identity in its task, and from it the
 * idempotency keys and checkpoint keys of the step's run and of each run after it.
 */
import { createHash } from 'node:crypto';

export interface StepIdentity {
  taskId: string;
  stepId: string;
  /**
   * For the second and later calls of the action within one execution of an `each` step:
   * the call's index (1, 2, …). Undefined for the first call (and for steps without `each`).
   */
  iteration?: number;
}

/** What of an ActionContext names the step. */
export interface StepContext {
  task: { id: string };
  step?: { id?: string };
  /** One logger per execution of a step: the scaffolder creates it before the iterations. */
  logger: object;
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

/**
 * Calls of the action so far in each step execution, by the execution's logger. The
 * scaffolder gives the handler no `each` item: a step with `each` calls the handler once per
 * item, in the items' order, with the same logger (and task and step), so the n-th call of an
 * execution is the n-th item. A retry or a recovery is a new execution with a new logger, and
 * counts from 0 again.
 */
const callsByExecution = new WeakMap<object, number>();

/** The index of this call of the action within its step execution: 0, 1, 2, … */
function nextIteration(logger: object): number {
  const index = callsByExecution.get(logger) ?? 0;
  callsByExecution.set(logger, index + 1);
  return index;
}

/** The identity of this call of the action (each call counts as the next iteration). */
export function stepIdentityOf(ctx: StepContext): StepIdentity {
  const stepId = ctx.step?.id;
  if (!stepId) {
    throw new MissingStepIdError();
  }
  const index = nextIteration(ctx.logger);
  return index === 0
    ? { taskId: ctx.task.id, stepId }
    : { taskId: ctx.task.id, stepId, iteration: index };
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
 * the run that follows run `runId` when that one ended unsuccessfully. A later call of an
 * `each` step adds `:each:${index}` after the step id.
 */
export function idempotencyKey(
  identity: StepIdentity,
  previousRunId?: string,
): string {
  const parts = [identity.taskId, identity.stepId];
  if (identity.iteration !== undefined) {
    parts.push('each', String(identity.iteration));
  }
  if (previousRunId !== undefined) {
    parts.push('after', previousRunId);
  }
  return poolSafeKey(parts.join(':'));
}

/** `actionpool.run.v1`, and `[${index}]` for a later call of an `each` step. */
function checkpointBase(identity: StepIdentity): string {
  return identity.iteration === undefined
    ? 'actionpool.run.v1'
    : `actionpool.run.v1[${identity.iteration}]`;
}

/**
 * The checkpoint keeping the run's id (the scaffolder scopes checkpoints to the step):
 * `actionpool.run.v1`, or `actionpool.run.v1.after.${runId}` for a run's successor; a later
 * call of an `each` step adds `[${index}]` after `v1`.
 */
export function checkpointKey(
  identity: StepIdentity,
  previousRunId?: string,
): string {
  const base = checkpointBase(identity);
  return previousRunId === undefined ? base : `${base}.after.${previousRunId}`;
}

/**
 * The checkpoint marking that an execution of the step reported run `runId`'s unsuccessful
 * end (it failed the step with it): `actionpool.run.v1.reported.${runId}` (with the `each`
 * index, as above). Only then does a later execution start the run's successor.
 */
export function reportedKey(identity: StepIdentity, runId: string): string {
  return `${checkpointBase(identity)}.reported.${runId}`;
}
