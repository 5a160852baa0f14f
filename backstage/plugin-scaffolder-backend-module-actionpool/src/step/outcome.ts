/*
 * What a step makes of its ended run: the run's output as the step's output, or the run's
 * error as the step's failure, or the task's cancellation.
 */
import type { JsonValue } from '@backstage/types';
import { ActionPoolRunError, CancelledError } from '../pool/errors';
import type { Run } from '../pool/types';

/**
 * The pool sent the run's terminal event, yet still reports the run `open` or `processing`:
 * its events and its record disagree. Nothing of the run is lost, and a retry of the task
 * follows the same run again rather than starting another.
 */
export class RunNotEndedError extends Error {
  constructor(run: Run) {
    super(
      `actionpool run ${run.id} sent its final event, but the pool still reports it ` +
        `${run.status}, so the step stopped without its result. Retry the task: the step ` +
        'follows the same run again (it does not start another) and takes its result once ' +
        `the pool reports it ended. If this happens again, tell the pool's operators (${run.links.self})`,
    );
    this.name = 'RunNotEndedError';
  }
}

/** Where outputs go (ActionContext's `output`). */
export type OutputSink = (name: string, value: JsonValue) => void;

/**
 * Completes the step with `run`, which has ended: its output when it completed (and the task
 * was not cancelled), else throws the run's error, or CancelledError.
 */
export function settle(run: Run, cancelled: boolean, output: OutputSink): void {
  if (run.status === 'open' || run.status === 'processing') {
    // The run's events ended with its terminal event, but its record says otherwise.
    throw new RunNotEndedError(run);
  }
  if (run.status === 'failed' || (run.status === 'cancelled' && run.error)) {
    throw new ActionPoolRunError(
      run.id,
      run.error ?? { name: 'RunFailedError', message: 'The run failed' },
    );
  }
  if (run.status === 'cancelled') {
    throw new CancelledError(`actionpool run ${run.id} was cancelled`);
  }
  if (cancelled) {
    throw new CancelledError(
      `The task was cancelled; actionpool run ${run.id} had completed first`,
    );
  }
  for (const [name, value] of Object.entries(run.output ?? {})) {
    if (value !== undefined) {
      output(name, value);
    }
  }
}
