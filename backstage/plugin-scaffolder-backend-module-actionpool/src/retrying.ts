/*
 * Calls to the pool that are tried again while the failure is transient, with backoff,
 * until they succeed, fail for good, or the caller's signal aborts.
 */
import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { PoolRequestError, isTransient, retryAfterOf } from './pool/errors';
import { BackoffPolicy, backoffDelay, sleep } from './retry';

/**
 * Whose authority a run's calls carry: the task's initiator, and the module's own service
 * credentials once the pool refused the initiator's token (401: a user's token expires while
 * a long run is still followed; the pool's scaffolder entry may read every owner's runs).
 */
export class Authority {
  private useService = false;

  constructor(
    private readonly initiator: () => Promise<BackstageCredentials>,
    private readonly service: () => Promise<BackstageCredentials>,
  ) {}

  credentials(): Promise<BackstageCredentials> {
    return this.useService ? this.service() : this.initiator();
  }

  /** After a failure: true when it was a 401 and the next try should use service credentials. */
  fallBackAfter(error: unknown): boolean {
    if (
      this.useService ||
      !(error instanceof PoolRequestError) ||
      error.status !== 401
    ) {
      return false;
    }
    this.useService = true;
    return true;
  }
}

export interface RetryOptions {
  backoff: BackoffPolicy;
  /** Stops the retries: the last error is thrown once it aborts. */
  signal?: AbortSignal;
  /** Told of each transient failure and the wait before the next try. */
  onRetry?: (error: unknown, delayMs: number) => void;
}

/** Runs `call` until it succeeds; transient failures are retried while `signal` allows. */
export async function retrying<T>(
  call: () => Promise<T>,
  options: RetryOptions,
  canRetry: (error: unknown) => boolean = isTransient,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!canRetry(error) || options.signal?.aborted) {
        throw error;
      }
      const delayMs = backoffDelay(
        options.backoff,
        attempt,
        retryAfterOf(error),
      );
      options.onRetry?.(error, delayMs);
      await sleep(delayMs, options.signal);
      if (options.signal?.aborted) {
        throw error;
      }
    }
  }
}

/** `retrying`, with each try's credentials from `authority` (and its 401 fallback). */
export function retryingAs<T>(
  authority: Authority,
  call: (credentials: BackstageCredentials) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  return retrying(
    async () => call(await authority.credentials()),
    options,
    error => authority.fallBackAfter(error) || isTransient(error),
  );
}
