/*
 * Fetching the pool's action listing as the module itself (its own service credentials):
 * at start-up within a deadline, retrying meanwhile; later, once per refresh.
 */
import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import type { PoolClient } from '../pool/client';
import { describeError } from '../pool/errors';
import type { PoolAction } from '../pool/types';
import { BackoffPolicy } from '../retry';
import { retrying } from '../retrying';

export interface ListingSource {
  client: PoolClient;
  auth: AuthService;
}

export async function fetchListing(
  source: ListingSource,
  signal?: AbortSignal,
): Promise<PoolAction[]> {
  const credentials = await source.auth.getOwnServiceCredentials();
  return source.client.listActions({ credentials, signal });
}

/**
 * The listing, tried until it answers or `timeoutMs` passes; undefined then, with a warning
 * naming the URL and the last error (Backstage's start-up goes on without the pool).
 */
export async function fetchListingAtStartup(
  source: ListingSource,
  options: { timeoutMs: number; backoff: BackoffPolicy; logger: LoggerService },
): Promise<PoolAction[] | undefined> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  let lastError: unknown;
  try {
    return await retrying(
      () => fetchListing(source, deadline),
      {
        backoff: options.backoff,
        signal: deadline,
        onRetry: error => {
          lastError = error;
          options.logger.debug(
            `actionpool not answering yet: ${describeError(error)}`,
          );
        },
      },
      () => true,
    );
  } catch (error) {
    const url = await source.client.baseUrl().catch(() => '(no URL)');
    const reason = deadline.aborted && lastError ? lastError : error;
    options.logger.warn(
      `Could not list the actionpool's actions at ${url}/v1/actions within ` +
        `${options.timeoutMs / 1000} s: ${describeError(
          reason,
        )}. Only actionpool:run is ` +
        'registered; restart Backstage once the pool answers to register its actions.',
    );
    return undefined;
  }
}
