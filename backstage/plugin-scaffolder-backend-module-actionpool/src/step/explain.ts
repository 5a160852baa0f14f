/*
 * A refused creation of the step's run, explained for the template's author: what the
 * pool's error means for this step, and what to change.
 */
import { PoolRequestError } from '../pool/errors';
import { OWNER_ANNOTATION } from './request';

/** The pool's 403s about owners: no owner named (several teams), or one the user is not in. */
const OWNER_REFUSAL = /\bowner\b|creates? runs for/i;

function withMessage(error: PoolRequestError, message: string): Error {
  return new PoolRequestError({
    status: error.status,
    error: { name: error.name, message },
    retryAfterMs: error.retryAfterMs,
  });
}

/** The error the step fails with when the pool refused to create its run. */
export function explainCreateError(error: unknown, key: string): unknown {
  if (!(error instanceof PoolRequestError)) {
    return error;
  }
  if (error.status === 403 && OWNER_REFUSAL.test(error.message)) {
    return withMessage(
      error,
      `${error.message}. Name the team the run belongs to, one this user may start runs ` +
        `for: set the template annotation ${OWNER_ANNOTATION} (or \`owner\` in the input ` +
        'of actionpool:run)',
    );
  }
  if (error.status === 422 && error.name === 'IdempotencyKeyReusedError') {
    return withMessage(
      error,
      `${error.message}. The step's input (or its owner) changed since its run was created: ` +
        `the run is found by its idempotency key ${key} (the task's id and the step's id), ` +
        'and the pool keeps one run per key and payload. Give the step the same input on every ' +
        'execution (no values that change between a task and its retry), or run the template ' +
        'again as a new task',
    );
  }
  return error;
}
