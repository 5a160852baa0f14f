/*
 * One HTTP exchange with the pool: its URL, a fresh plugin token per request, and the
 * translation of failures into PoolUnreachableError / PoolRequestError.
 */
import type {
  AuthService,
  BackstageCredentials,
} from '@backstage/backend-plugin-api';
import { parseRetryAfter } from '../retry';
import { PoolRequestError, PoolUnreachableError } from './errors';
import { MalformedPoolResponseError, errorOfBody } from './parse';

/** Where the pool is and how to call it. */
export interface PoolConnection {
  /** The API's root URL, without a trailing slash. */
  baseUrl(): Promise<string>;
  /** A plugin token for one request, acting for `credentials`. */
  token(credentials: BackstageCredentials): Promise<string>;
}

export function createPoolConnection(options: {
  auth: AuthService;
  pluginId: string;
  baseUrl: () => Promise<string>;
}): PoolConnection {
  const { auth, pluginId } = options;
  return {
    async baseUrl() {
      return (await options.baseUrl()).replace(/\/+$/, '');
    },
    async token(credentials) {
      const { token } = await auth.getPluginRequestToken({
        onBehalfOf: credentials,
        targetPluginId: pluginId,
      });
      return token;
    },
  };
}

export interface PoolRequest {
  method: 'GET' | 'POST';
  /** The path below the API's root, e.g. `/v1/actions`. */
  path: string;
  credentials: BackstageCredentials;
  body?: unknown;
  accept?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Sends the request; answers the response of a status < 400, or throws. */
export async function send(
  connection: PoolConnection,
  request: PoolRequest,
): Promise<Response> {
  const url = `${await connection.baseUrl()}${request.path}`;
  const headers: Record<string, string> = {
    Accept: request.accept ?? 'application/json',
    Authorization: `Bearer ${await connection.token(request.credentials)}`,
    ...request.headers,
  };
  if (request.body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method: request.method,
      headers,
      body:
        request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: request.signal,
    });
  } catch (error) {
    throw new PoolUnreachableError(url, error);
  }
  if (response.status >= 400) {
    throw await requestError(request, url, response);
  }
  return response;
}

async function requestError(
  request: PoolRequest,
  url: string,
  response: Response,
): Promise<PoolRequestError> {
  const text = await response.text().catch(() => '');
  let body: unknown = undefined;
  try {
    body = JSON.parse(text);
  } catch {
    // not Backstage's error body: described below
  }
  const error = errorOfBody(body) ?? {
    name: 'PoolHttpError',
    message: `${request.method} ${url} answered ${response.status} ${response.statusText}`,
  };
  return new PoolRequestError({
    status: response.status,
    error,
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
  });
}

/**
 * The answer's body as JSON (parsed by the caller into a typed value). A body cut short is
 * PoolUnreachableError (try again); one that is not JSON is MalformedPoolResponseError.
 */
export async function jsonOf(
  response: Response,
  url: string,
): Promise<unknown> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new PoolUnreachableError(url, error);
  }
  try {
    return JSON.parse(text);
  } catch {
    // Never the body's text: it may be a run (with its input) cut short by a proxy.
    const type = response.headers.get('content-type') ?? 'no Content-Type';
    throw new MalformedPoolResponseError(
      `${url} answered ${response.status} with a body that is not JSON ` +
        `(${text.length} characters, ${type})`,
    );
  }
}
