/*
 * A small actionpool API on a local port for tests: the action listing, run creation with
 * idempotency keys, runs the test drives (logs, completion, failure, cancellation), the
 * event stream (SSE with Last-Event-ID, or the JSON list) and failures on demand.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JsonObject } from '@backstage/types';
import { FakeRun, errorBody } from './fakeRun';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

/** A canned answer to the next request(s) of a kind, before the pool's own answer. */
export interface InjectedFailure {
  status: number;
  name: string;
  retryAfter?: string;
}

export class FakePool {
  readonly requests: RecordedRequest[] = [];
  readonly runs = new Map<string, FakeRun>();
  actions: JsonObject[] = [];
  /** Answer `GET /v1/actions` with 503 while true. */
  listingDown = false;
  /** Answer the events as the JSON list even when a stream is asked for. */
  jsonEventsOnly = false;
  /** Whether a replayed creation says so (a proxy in between might drop the header). */
  replayHeader = true;
  /** Failures answered to the next run creations, in order. */
  readonly createFailures: InjectedFailure[] = [];
  /** Answers a request itself when it returns true (before the pool's own routes). */
  intercept: (req: http.IncomingMessage, res: http.ServerResponse) => boolean =
    () => false;
  /** Idempotency key -> run id. */
  private readonly keys = new Map<string, string>();
  private readonly server: http.Server;

  private constructor() {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  static async start(): Promise<FakePool> {
    const pool = new FakePool();
    await new Promise<void>(resolve =>
      pool.server.listen(0, '127.0.0.1', resolve),
    );
    return pool;
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    for (const run of this.runs.values()) {
      run.dropStreams();
    }
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }

  /** Adds a run as if an earlier execution had created it. */
  addRun(actionId: string, key?: string): FakeRun {
    const run = new FakeRun(randomUUID(), actionId);
    this.runs.set(run.id, run);
    if (key) {
      this.keys.set(key, run.id);
    }
    return run;
  }

  onlyRun(): FakeRun {
    const runs = [...this.runs.values()];
    if (runs.length !== 1) {
      throw new Error(`expected one run, the pool has ${runs.length}`);
    }
    return runs[0];
  }

  requestsTo(method: string, pattern: RegExp): RecordedRequest[] {
    return this.requests.filter(
      r => r.method === method && pattern.test(r.path),
    );
  }

  private async handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const path = req.url ?? '/';
    const body = text ? JSON.parse(text) : undefined;
    this.requests.push({
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body,
    });
    if (!this.intercept(req, res)) {
      this.route(req, res, path, body);
    }
  }

  private route(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    path: string,
    body: JsonObject | undefined,
  ): void {
    const url = new URL(path, 'http://pool');
    const runMatch = /^\/v1\/runs\/([^/]+)(\/events|\/cancel)?$/.exec(
      url.pathname,
    );
    const createMatch = /^\/v1\/actions\/([^/]+)\/runs$/.exec(url.pathname);
    if (req.method === 'GET' && url.pathname === '/v1/actions') {
      this.listActions(res);
    } else if (req.method === 'POST' && createMatch) {
      this.createRun(res, decodeURIComponent(createMatch[1]), body ?? {});
    } else if (runMatch) {
      this.runRoute(req, res, url, runMatch[1], runMatch[2]);
    } else {
      errorBody(res, 404, 'NotFoundError', `No route ${path}`);
    }
  }

  private listActions(res: http.ServerResponse): void {
    if (this.listingDown) {
      errorBody(res, 503, 'StoreUnavailableError', 'Redis is down', '0');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(this.actions));
  }

  private createRun(
    res: http.ServerResponse,
    actionId: string,
    body: JsonObject,
  ): void {
    const failure = this.createFailures.shift();
    if (failure) {
      errorBody(
        res,
        failure.status,
        failure.name,
        'injected',
        failure.retryAfter,
      );
      return;
    }
    const key =
      typeof body.idempotencyKey === 'string' ? body.idempotencyKey : undefined;
    const existing = key ? this.keys.get(key) : undefined;
    const replayed = existing ? this.runs.get(existing) : undefined;
    if (replayed) {
      const headers: Record<string, string> = this.replayHeader
        ? { 'Idempotent-Replayed': 'true' }
        : {};
      replayed.answer(res, 200, headers);
      return;
    }
    const run = this.addRun(actionId, key);
    run.body = body;
    run.answer(res, 202);
  }

  private runRoute(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    runId: string,
    tail: string | undefined,
  ): void {
    const run = this.runs.get(runId);
    if (!run) {
      errorBody(res, 404, 'RunNotFoundError', `No run with id '${runId}'`);
    } else if (tail === '/cancel' && req.method === 'POST') {
      run.cancel(res);
    } else if (tail === '/events') {
      const header = req.headers['last-event-id'];
      const after = Number(header ?? url.searchParams.get('after') ?? 0);
      const stream =
        !this.jsonEventsOnly && req.headers.accept === 'text/event-stream';
      run.events(res, after, stream);
    } else {
      run.answer(res, 200);
    }
  }
}
