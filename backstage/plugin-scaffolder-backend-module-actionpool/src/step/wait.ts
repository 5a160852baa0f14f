/*
 * Waiting for a run to end: its live log lines go to the task's log as they come, and a
 * cancelled task asks the run to stop, then waits (a while) for it to end.
 */
import type { LoggerService } from '@backstage/backend-plugin-api';
import { CancelledError, describeError } from '../pool/errors';
import { followRun } from '../pool/follow';
import { logMessageOf } from '../pool/parse';
import { Run, RunEvent, isEnded } from '../pool/types';
import { retryingAs } from '../retrying';
import { markReported } from './reported';
import type { StepRun } from './stepRun';

export interface EndedRun {
  run: Run;
  /** True when the task was cancelled while the run was followed. */
  cancelled: boolean;
}

/** Asks the run to stop once the task is cancelled, and gives up waiting after a while. */
class Canceller {
  requested = false;
  gaveUp = false;
  /** The run, when the pool answered that it had already ended (409) and reading it agreed. */
  endedRun: Run | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onAbort = () => this.cancel();

  constructor(
    private readonly step: StepRun,
    private readonly runId: string,
    private readonly following: AbortController,
  ) {
    if (step.signal.aborted) {
      this.cancel();
    } else {
      step.signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  dispose(): void {
    this.step.signal.removeEventListener('abort', this.onAbort);
    clearTimeout(this.timer);
  }

  private cancel(): void {
    const { step, runId, following } = this;
    this.requested = true;
    step.ctx.logger.info(
      `The task was cancelled: asking actionpool run ${runId} to stop`,
    );
    this.timer = setTimeout(() => {
      this.gaveUp = true;
      following.abort();
    }, step.services.settings.cancelTimeoutMs);
    this.requestCancel().catch(error => {
      if (!following.signal.aborted) {
        step.ctx.logger.warn(
          `Could not cancel actionpool run ${runId}: ${describeError(error)}`,
        );
      }
    });
  }

  /**
   * `POST /v1/runs/{id}/cancel`; after a 409 (the run had completed or failed), the run is
   * read: once it has ended, the following stops (its stream may never say so) with it.
   */
  private async requestCancel(): Promise<void> {
    const { step, runId, following } = this;
    const options = step.retryOptions('Cancelling the run', following.signal);
    const run = await retryingAs(
      step.authority,
      credentials => step.services.client.cancelRun(runId, { credentials }),
      options,
    );
    if (run) {
      step.ctx.logger.info(`actionpool run ${runId} is ${run.status}`);
      return;
    }
    step.ctx.logger.info(`actionpool run ${runId} had already ended`);
    const ended = await retryingAs(
      step.authority,
      credentials => step.services.client.getRun(runId, { credentials }),
      options,
    );
    if (isEnded(ended.status) && !following.signal.aborted) {
      this.endedRun = ended;
      following.abort();
    }
  }
}

/** Follows the run to its end and answers it as it ended. */
export async function waitForEnd(step: StepRun, run: Run): Promise<EndedRun> {
  const following = new AbortController();
  const canceller = new Canceller(step, run.id, following);
  try {
    const ended = await followToEnd(step, run, following.signal);
    return { run: ended, cancelled: canceller.requested };
  } catch (error) {
    if (canceller.endedRun) {
      return { run: canceller.endedRun, cancelled: true };
    }
    if (canceller.gaveUp) {
      // The step reports the run as stopped by the cancellation: a retry starts its successor
      // once it has ended unsuccessfully.
      await markReported(step, run.id);
      throw new CancelledError(
        `The task was cancelled; actionpool run ${run.id} had not ended ` +
          `${
            step.services.settings.cancelTimeoutMs / 1000
          } s after it was asked to stop`,
      );
    }
    throw error;
  } finally {
    canceller.dispose();
    following.abort();
  }
}

/** The run once it has ended: its events followed to the last, then the run read. */
async function followToEnd(
  step: StepRun,
  run: Run,
  signal: AbortSignal,
): Promise<Run> {
  const { client, settings } = step.services;
  const ended = await followRun({
    client,
    authority: step.authority,
    runId: run.id,
    onEvent: event => logEvent(step.ctx.logger, event),
    signal,
    backoff: settings.backoff,
    idleTimeoutMs: settings.idleTimeoutMs,
    pollIntervalMs: settings.pollIntervalMs,
    onRetry: step.retryOptions('Following the run', signal).onRetry,
  });
  return (
    ended ??
    retryingAs(
      step.authority,
      credentials => client.getRun(run.id, { credentials }),
      step.retryOptions('Reading the ended run', signal),
    )
  );
}

/** A `log` event's line (and the terminal event's message) as a line of the task's log. */
export function logEvent(logger: LoggerService, event: RunEvent): void {
  const message = logMessageOf(event);
  if (message !== undefined) {
    logger.info(message);
  }
}
