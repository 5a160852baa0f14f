/*
 * Finding the run this execution of a step follows, never starting one twice: the run kept
 * in the step's checkpoint (or the one the idempotency key already holds), and, when that
 * run ended unsuccessfully before this execution, its successor: a Backstage retry of a
 * failed step runs the action once more.
 */
import type { JsonValue } from '@backstage/types';
import { isJsonObject } from '../pool/parse';
import { CreatedRun, Run, isEnded, isUnsuccessful } from '../pool/types';
import { retrying, retryingAs } from '../retrying';
import { checkpointKey, idempotencyKey } from './identity';
import { createRunBody, ownerOf } from './request';
import type { StepRun } from './stepRun';

export interface AttachedRun {
  run: Run;
  /** True when the run existed before this execution (checkpoint or replayed key). */
  found: boolean;
}

/** The run to follow: the step's run, or the first of its successors not ended unsuccessful. */
export async function attachRun(step: StepRun): Promise<AttachedRun> {
  let attached = await attachOnce(step, undefined);
  while (attached.found && isUnsuccessful(attached.run.status)) {
    step.ctx.logger.info(
      `actionpool run ${attached.run.id} ended ${attached.run.status} before this execution ` +
        'of the step: starting the run that follows it',
    );
    attached = await attachOnce(step, attached.run.id);
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

/**
 * Creates the run (or finds the one holding the key), retrying what the pool says was not
 * done or is not known, always with the same key, until the task is cancelled. The request
 * itself is not aborted by a cancellation: a run it made is then cancelled, not left behind.
 */
async function createRun(step: StepRun, key: string): Promise<CreatedRun> {
  const body = createRunBody({
    identity: step.identity,
    ctx: step.ctx,
    input: step.request.input,
    idempotencyKey: key,
    owner: ownerOf(step.request.owner, step.ctx),
  });
  return retrying(
    async () =>
      step.services.client.createRun(step.request.actionId, body, {
        credentials: await step.ctx.getInitiatorCredentials(),
      }),
    step.retryOptions(`Starting ${step.request.actionId}`),
  );
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
