/*
 * What a step makes of its ended run: the run's output as the step's output, or the run's
 * error as the step's failure, or the task's cancellation.
 */
import type { JsonValue } from '@backstage/types';
import { ActionPoolRunError, CancelledError } from '../pool/errors';
import type { Run } from '../pool/types';

/** Where outputs go (ActionContext's `output`). */
export type OutputSink = (name: string, value: JsonValue) => void;

/**
 * Completes the step with `run`, which has ended: its output when it completed (and the task
 * was not cancelled), else throws the run's error, or CancelledError.
 */
export function settle(run: Run, cancelled: boolean, output: OutputSink): void {
  if (run.status === 'open' || run.status === 'processing') {
    throw new Error(`actionpool run ${run.id} is still ${run.status}`);
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
