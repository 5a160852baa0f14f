/*
 * The handler every actionpool scaffolder action shares: find or start the step's run,
 * follow it to its end with its log lines in the task's log, and complete the step with it.
 */
import { CancelledError, describeError } from '../pool/errors';
import { Run, isEnded, isUnsuccessful } from '../pool/types';
import { attachRun } from './attach';
import { settle } from './outcome';
import { markReported } from './reported';
import {
  PoolActionContext,
  StepRequest,
  StepRun,
  StepServices,
} from './stepRun';
import { waitForEnd } from './wait';

export async function executeStep(
  services: StepServices,
  ctx: PoolActionContext,
  request: StepRequest,
): Promise<void> {
  const step = new StepRun(services, ctx, request);
  if (step.signal.aborted) {
    throw new CancelledError(
      `The task was cancelled before ${request.actionId} was started`,
    );
  }
  const attached = await attachRun(step).catch(error => {
    if (step.signal.aborted && !(error instanceof CancelledError)) {
      const reason = describeError(error);
      throw new CancelledError(
        `The task was cancelled while ${request.actionId} was being started: ${reason}`,
      );
    }
    throw error;
  });
  await announce(step, attached.run, attached.found);
  const ended = isEnded(attached.run.status)
    ? { run: attached.run, cancelled: step.signal.aborted }
    : await waitForEnd(step, attached.run);
  if (isUnsuccessful(ended.run.status)) {
    // The step is about to fail with this run's end: from now on, a retry starts its successor.
    await markReported(step, ended.run.id);
  }
  settle(ended.run, ended.cancelled, (name, value) => ctx.output(name, value));
}

async function announce(
  step: StepRun,
  run: Run,
  found: boolean,
): Promise<void> {
  const url = `${await step.services.client.baseUrl()}${run.links.self}`;
  const how = found
    ? `Following actionpool run ${run.id} (${run.status})`
    : `Started actionpool run ${run.id}`;
  step.ctx.logger.info(`${how} of ${run.actionId}: ${url}`);
}
