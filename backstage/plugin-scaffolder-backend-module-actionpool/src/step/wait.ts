/*
 * Waiting for a run to end: its live log lines go to the task's log as they come, and a
 * cancelled task asks the run to stop, then waits (a while) for it to end.
 */
import type { LoggerService } from '@backstage/backend-plugin-api';
import { CancelledError, describeError } from '../pool/errors';
import { followRun } from '../pool/follow';
import { logMessageOf } from '../pool/parse';
import { Run, RunEvent } from '../pool/types';
import { retryingAs } from '../retrying';
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
    retryingAs(
      step.authority,
      credentials => step.services.client.cancelRun(runId, { credentials }),
      step.retryOptions('Cancelling the run', following.signal),
    ).then(
      run =>
        step.ctx.logger.info(
          run
            ? `actionpool run ${runId} is ${run.status}`
            : `actionpool run ${runId} had already ended`,
        ),
      error => {
        if (!following.signal.aborted) {
          step.ctx.logger.warn(
            `Could not cancel actionpool run ${runId}: ${describeError(error)}`,
          );
        }
      },
    );
  }
}

/** Follows the run to its end and answers it as it ended. */
export async function waitForEnd(step: StepRun, run: Run): Promise<EndedRun> {
  const following = new AbortController();
  const canceller = new Canceller(step, run.id, following);
  const { client, settings } = step.services;
  try {
    await followRun({
      client,
      authority: step.authority,
      runId: run.id,
      onEvent: event => logEvent(step.ctx.logger, event),
      signal: following.signal,
      backoff: settings.backoff,
      idleTimeoutMs: settings.idleTimeoutMs,
      pollIntervalMs: settings.pollIntervalMs,
      onRetry: step.retryOptions('Following the run', following.signal).onRetry,
    });
    const ended = await retryingAs(
      step.authority,
      credentials => client.getRun(run.id, { credentials }),
      step.retryOptions('Reading the ended run', following.signal),
    );
    return { run: ended, cancelled: canceller.requested };
  } catch (error) {
    if (canceller.gaveUp) {
      throw new CancelledError(
        `The task was cancelled; actionpool run ${run.id} had not ended ` +
          `${settings.cancelTimeoutMs / 1000} s after it was asked to stop`,
      );
    }
    throw error;
  } finally {
    canceller.dispose();
    following.abort();
  }
}

/** A `log` event's line (and the terminal event's message) as a line of the task's log. */
export function logEvent(logger: LoggerService, event: RunEvent): void {
  const message = logMessageOf(event);
  if (message !== undefined) {
    logger.info(message);
  }
}
