/*
 * Errors of talking to the pool, and of the runs it reports.
 */
import type { ErrorInfo } from './types';

/**
 * The pool answered a status >= 400. `name` and `message` are the pool's own (its Backstage
 * error body), so a template's step shows e.g. `InputValidationError: ...`.
 */
export class PoolRequestError extends Error {
  readonly status: number;
  /** The answer's `Retry-After`, in milliseconds, when it had one. */
  readonly retryAfterMs: number | undefined;

  constructor(options: {
    status: number;
    error: ErrorInfo;
    retryAfterMs?: number;
  }) {
    super(options.error.message);
    this.name = options.error.name;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The pool could not be asked at all: connection refused or reset, DNS, a cut stream. */
export class PoolUnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    super(`Could not reach the actionpool at ${url}: ${describeError(cause)}`, {
      cause,
    });
    this.name = 'PoolUnreachableError';
  }
}

/** A run ended `failed` (or `cancelled` by someone else): the run's own error. */
export class ActionPoolRunError extends Error {
  readonly runId: string;

  constructor(runId: string, error: ErrorInfo) {
    super(`${error.message} (actionpool run ${runId})`);
    this.name = error.name;
    this.runId = runId;
  }
}

/** The task was cancelled: the run was asked to stop (or never started). */
export class CancelledError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CancelledError';
  }
}

const TRANSIENT_STATUSES = new Set([429, 502, 503, 504]);

/**
 * True when the same request may simply be sent again: the pool was unreachable, or it said
 * not done / not known (503, 504), too fast (429), or a proxy in front of it failed (502).
 * Run creation is only retried with its idempotency key, so a retry never makes two runs.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof PoolUnreachableError) {
    return true;
  }
  return (
    error instanceof PoolRequestError && TRANSIENT_STATUSES.has(error.status)
  );
}

export function retryAfterOf(error: unknown): number | undefined {
  return error instanceof PoolRequestError ? error.retryAfterMs : undefined;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause =
      error.cause instanceof Error &&
      !error.message.includes(error.cause.message)
        ? ` (${error.cause.message})`
        : '';
    return `${error.name}: ${error.message}${cause}`;
  }
  return String(error);
}
