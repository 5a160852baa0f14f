/*
 * Whether an earlier execution of the step reported a run's unsuccessful end. A run found
 * ended `failed` or `cancelled` gets a successor only then (a retry of the failed step runs
 * the action once more); otherwise nobody has seen that run's end yet (a create retried after
 * a 504 replays a run that already failed; a run failed while Backstage was down), and the
 * step reports it instead of hiding it behind a new run.
 *
 * The marker is a checkpoint. The scaffolder reads the task state once per step execution:
 * a checkpoint whose key is `success` in that snapshot answers its stored value without
 * calling `fn`; any other runs `fn` and stores its result, or stores `failed` when `fn`
 * throws. So the read's `fn` throws: it leaves no `success` behind, and the marker written
 * when the step reports the run's end lands whenever that happens (in this execution, or in
 * a later one after a crash between the two), and only later executions see it.
 */
import { describeError } from '../pool/errors';
import { isJsonObject } from '../pool/parse';
import { reportedKey } from './identity';
import type { StepRun } from './stepRun';

/** Thrown by the read's `fn`: the marker was not in this execution's snapshot. */
class NotReportedYet extends Error {
  constructor(runId: string) {
    super(`No execution of the step has reported the end of run ${runId} yet`);
    this.name = 'NotReportedYet';
  }
}

/** True when an earlier execution of the step marked run `runId` as reported. */
export async function reportedEarlier(
  step: StepRun,
  runId: string,
): Promise<boolean> {
  try {
    const marker = await step.ctx.checkpoint({
      key: reportedKey(step.identity, runId),
      fn: (): { reported: boolean } => {
        throw new NotReportedYet(runId);
      },
    });
    return isJsonObject(marker) && marker.reported === true;
  } catch (error) {
    if (error instanceof NotReportedYet) {
      return false;
    }
    throw error;
  }
}

/**
 * Marks run `runId`'s unsuccessful end as reported, just before the step fails with it. A
 * marker that cannot be written is logged, never put in the place of the run's own error
 * (the next retry then reports the run once more, and the one after starts its successor).
 */
export async function markReported(
  step: StepRun,
  runId: string,
): Promise<void> {
  try {
    await step.ctx.checkpoint({
      key: reportedKey(step.identity, runId),
      fn: () => ({ reported: true }),
    });
  } catch (error) {
    step.ctx.logger.warn(
      `Could not record that the end of actionpool run ${runId} was reported: ${describeError(
        error,
      )}`,
    );
  }
}
