/*
 * Waiting between tries: exponential backoff that honours the pool's `Retry-After`, and a
 * sleep that an abort signal ends early.
 */

export interface BackoffPolicy {
  /** The wait before the second try, in milliseconds. */
  initialDelayMs: number;
  /** No wait grows past this (a `Retry-After` may, up to `maxRetryAfterMs`). */
  maxDelayMs: number;
  /** The most a `Retry-After` is honoured for, so a bad header cannot park a step for days. */
  maxRetryAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 300_000,
};

/**
 * The wait before try number `attempt + 1` (attempt counts from 1): doubling from the initial
 * delay up to the cap, and never shorter than the server's `Retry-After`.
 */
export function backoffDelay(
  policy: BackoffPolicy,
  attempt: number,
  retryAfterMs?: number,
): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const backoff = Math.min(
    policy.initialDelayMs * 2 ** exponent,
    policy.maxDelayMs,
  );
  if (retryAfterMs === undefined) {
    return backoff;
  }
  return Math.max(backoff, Math.min(retryAfterMs, policy.maxRetryAfterMs));
}

/** `Retry-After` in milliseconds: delay-seconds or an HTTP date; undefined when absent. */
export function parseRetryAfter(
  value: string | null,
  now = Date.now(),
): number | undefined {
  if (value === null || value.trim() === '') {
    return undefined;
  }
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    return Number(text) * 1000;
  }
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Resolves after `ms`, or as soon as `signal` aborts (it never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined = undefined;
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
