/*
 * Finding the run this execution of a step follows, never starting one twice: the run kept
 * in the step's checkpoint (or the one the idempotency key already holds), and, when that
 * run ended unsuccessfully and an earlier execution reported it, its successor: a Backstage
 * retry of a failed step runs the action once more.
 */
import type { JsonValue } from '@backstage/types';
import {
  CancelledError,
  PoolRequestError,
  PoolUnreachableError,
  describeError,
} from '../pool/errors';
import { isJsonObject } from '../pool/parse';
import { CreatedRun, Run, isEnded, isUnsuccessful } from '../pool/types';
import { retrying, retryingAs } from '../retrying';
import { explainCreateError } from './explain';
import { checkpointKey, idempotencyKey } from './identity';
import { reportedEarlier } from './reported';
import { createRunBody, ownerOf } from './request';
import type { StepRun } from './stepRun';

export interface AttachedRun {
  run: Run;
  /** True when the run existed before this execution (checkpoint or replayed key). */
  found: boolean;
}

/**
 * The run to follow: the step's run, or, along the chain of successors, the first one that
 * has not ended unsuccessfully or whose unsuccessful end no earlier execution reported (the
 * step then fails with that run's own error).
 */
export async function attachRun(step: StepRun): Promise<AttachedRun> {
  let attached = await attachOnce(step, undefined);
  while (
    isUnsuccessful(attached.run.status) &&
    (await reportedEarlier(step, attached.run.id))
  ) {
    const { id, status } = attached.run;
    if (step.signal.aborted) {
      throw new CancelledError(
        `The task was cancelled before the run following actionpool run ${id} was started`,
      );
    }
    step.ctx.logger.info(
      `actionpool run ${id} ended ${status} in an earlier execution of the step: ` +
        'starting the run that follows it',
    );
    attached = await attachOnce(step, id);
  }
  return attached;
}

async function attachOnce(
  step: StepRun,
  previousRunId?: string,
): Promise<AttachedRun> {
  let created: CreatedRun | undefined;
  const stored = await step.ctx.checkpoint({
    key: checkpointKey(step.identity, previousRunId),
    fn: async () => {
      created = await createRun(
        step,
        idempotencyKey(step.identity, previousRunId),
      );
      return { runId: created.run.id };
    },
  });
  if (created) {
    // A new run is never ended when created (no `wait`): an ended one was found by its key,
    // also when something in between dropped the Idempotent-Replayed header.
    const found = created.replayed || isEnded(created.run.status);
    return { run: created.run, found };
  }
  const runId = runIdOf(stored);
  const run = await retryingAs(
    step.authority,
    credentials => step.services.client.getRun(runId, { credentials }),
    step.retryOptions('Reading the run kept in the checkpoint'),
  );
  return { run, found: true };
}

/** A failure after which the pool may have created the run all the same. */
function outcomeUnknown(error: unknown): boolean {
  return (
    error instanceof PoolUnreachableError ||
    (error instanceof PoolRequestError &&
      (error.status === 504 || error.status === 502))
  );
}

/**
 * Creates the run (or finds the one holding the key), retrying what the pool says was not
 * done or is not known, always with the same key, until the task is cancelled. The request
 * itself is not aborted by a cancellation. A task cancelled after a try whose outcome is not
 * known sends the same request once more: the run it answers (made by that try, or now) is
 * then followed, and so cancelled, instead of left behind.
 */
async function createRun(step: StepRun, key: string): Promise<CreatedRun> {
  const { actionId } = step.request;
  const body = createRunBody({
    identity: step.identity,
    ctx: step.ctx,
    input: step.request.input,
    idempotencyKey: key,
    owner: ownerOf(step.request.owner, step.ctx),
  });
  const send = async () =>
    step.services.client.createRun(actionId, body, {
      credentials: await step.ctx.getInitiatorCredentials(),
    });
  let unknown = false;
  try {
    return await retrying(
      () =>
        send().catch(error => {
          unknown ||= outcomeUnknown(error);
          throw error;
        }),
      step.retryOptions(`Starting ${actionId}`),
    );
  } catch (error) {
    if (step.signal.aborted && unknown) {
      return findAfterCancel(step, send, key);
    }
    throw explainCreateError(error, key);
  }
}

async function findAfterCancel(
  step: StepRun,
  send: () => Promise<CreatedRun>,
  key: string,
): Promise<CreatedRun> {
  step.ctx.logger.info(
    `The task was cancelled while ${step.request.actionId} was being started, after a try ` +
      'whose outcome the pool did not know: asking once more with the same key, to cancel ' +
      'the run if that try made it',
  );
  try {
    return await send();
  } catch (error) {
    throw new CancelledError(
      `The task was cancelled while ${step.request.actionId} was being started; an earlier ` +
        `try may have made its run, and asking again failed (${describeError(
          error,
        )}): ` +
        `a retry of the task finds that run by its key ${key}`,
    );
  }
}

function runIdOf(stored: JsonValue | void): string {
  if (isJsonObject(stored) && typeof stored.runId === 'string') {
    return stored.runId;
  }
  throw new Error(
    `The step's checkpoint does not hold an actionpool run id: ${JSON.stringify(
      stored,
    )}`,
  );
}
