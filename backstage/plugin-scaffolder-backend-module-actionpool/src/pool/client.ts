/*
 * The pool's HTTP API v1, one method per operation this module uses, each answer parsed
 * into a typed value.
 */
import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { PoolRequestError } from './errors';
import { PoolConnection, jsonOf, send } from './http';
import { parseActionList, parseRun } from './parse';
import type { CreateRunBody, CreatedRun, PoolAction, Run } from './types';

export const EVENT_STREAM = 'text/event-stream';

export interface CallOptions {
  credentials: BackstageCredentials;
  signal?: AbortSignal;
}

export class PoolClient {
  constructor(private readonly connection: PoolConnection) {}

  /** The API's root URL (for messages and links). */
  baseUrl(): Promise<string> {
    return this.connection.baseUrl();
  }

  async listActions(options: CallOptions): Promise<PoolAction[]> {
    const path = '/v1/actions';
    const response = await send(this.connection, {
      method: 'GET',
      path,
      ...options,
    });
    return parseActionList(await jsonOf(response, path));
  }

  /** `POST /v1/actions/{actionId}/runs`: a new run (202), or the key's run (200, replayed). */
  async createRun(
    actionId: string,
    body: CreateRunBody,
    options: CallOptions,
  ): Promise<CreatedRun> {
    const path = `/v1/actions/${encodeURIComponent(actionId)}/runs`;
    const response = await send(this.connection, {
      method: 'POST',
      path,
      body,
      ...options,
    });
    const run = parseRun(await jsonOf(response, path));
    return {
      run,
      replayed: response.headers.get('idempotent-replayed') === 'true',
    };
  }

  async getRun(runId: string, options: CallOptions): Promise<Run> {
    const path = runPath(runId);
    const response = await send(this.connection, {
      method: 'GET',
      path,
      ...options,
    });
    return parseRun(await jsonOf(response, path));
  }

  /**
   * `POST /v1/runs/{id}/cancel`: the run (cancelled, or asked to stop); undefined when it had
   * already completed or failed (409), which is no error here.
   */
  async cancelRun(
    runId: string,
    options: CallOptions,
  ): Promise<Run | undefined> {
    const path = `${runPath(runId)}/cancel`;
    try {
      const response = await send(this.connection, {
        method: 'POST',
        path,
        ...options,
      });
      return parseRun(await jsonOf(response, path));
    } catch (error) {
      if (error instanceof PoolRequestError && error.status === 409) {
        return undefined;
      }
      throw error;
    }
  }

  /**
   * `GET /v1/runs/{id}/events` after event `after`, asking for a live stream; the caller reads
   * the body (a pool behind a proxy that drops the Accept header may answer a JSON array).
   */
  openEvents(
    runId: string,
    after: number,
    options: CallOptions,
  ): Promise<Response> {
    const path = `${runPath(runId)}/events?after=${after}`;
    return send(this.connection, {
      method: 'GET',
      path,
      accept: EVENT_STREAM,
      headers: after > 0 ? { 'Last-Event-ID': String(after) } : {},
      ...options,
    });
  }
}

function runPath(runId: string): string {
  return `/v1/runs/${encodeURIComponent(runId)}`;
}
