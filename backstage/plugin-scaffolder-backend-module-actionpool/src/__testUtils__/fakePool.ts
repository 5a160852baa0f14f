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
  message?: string;
  retryAfter?: string;
  /**
   * The creation is done all the same (a run made, or the key's run found), and only its
   * answer is this failure: the pool's `504 CommitUnknownError` when the commit did happen.
   */
  commits?: boolean;
}

/**
 * What the pool's idempotency compares (action id, input, context, dryRun; not secrets nor
 * user): the same key with another fingerprint is a 422 IdempotencyKeyReusedError.
 */
function fingerprintOf(actionId: string, body: JsonObject): string {
  const { input = {}, context = {}, dryRun = false } = body;
  return canonicalJson({ actionId, input, context, dryRun });
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
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
  /** Called with each run a creation makes, before it is answered. */
  onCreate: (run: FakeRun) => void = () => {};
  /** Answers a request itself when it returns true (before the pool's own routes). */
  intercept: (req: http.IncomingMessage, res: http.ServerResponse) => boolean =
    () => false;
  /** Idempotency key -> run id, and the fingerprint of the request that made it. */
  private readonly keys = new Map<
    string,
    { runId: string; fingerprint?: string }
  >();
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

  /**
   * Adds a run as if an earlier execution had created it; with `body`, the request that did
   * (its key's fingerprint), else any request with the key replays it.
   */
  addRun(actionId: string, key?: string, body?: JsonObject): FakeRun {
    const run = new FakeRun(randomUUID(), actionId);
    run.body = body;
    this.runs.set(run.id, run);
    if (key) {
      const fingerprint = body && fingerprintOf(actionId, body);
      this.keys.set(key, { runId: run.id, fingerprint });
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
    if (failure && !failure.commits) {
      this.answerFailure(res, failure);
      return;
    }
    const created = this.createOrReplay(actionId, body);
    if (failure) {
      this.answerFailure(res, failure);
    } else if (created.refused) {
      errorBody(res, 422, 'IdempotencyKeyReusedError', created.refused);
    } else if (created.replayed) {
      const headers: Record<string, string> = this.replayHeader
        ? { 'Idempotent-Replayed': 'true' }
        : {};
      created.run.answer(res, 200, headers);
    } else {
      created.run.answer(res, 202);
    }
  }

  /** The pool's idempotency: the key's run (same fingerprint), a refusal, or a new run. */
  private createOrReplay(
    actionId: string,
    body: JsonObject,
  ): { run: FakeRun; replayed: boolean; refused?: string } {
    const key =
      typeof body.idempotencyKey === 'string' ? body.idempotencyKey : undefined;
    const existing = key ? this.keys.get(key) : undefined;
    const replayed = existing && this.runs.get(existing.runId);
    if (replayed && existing) {
      const fingerprint = fingerprintOf(actionId, body);
      const same =
        !existing.fingerprint || existing.fingerprint === fingerprint;
      const refused = same
        ? undefined
        : `idempotency key '${key}' was used for run ${replayed.id} with a different ` +
          'action, input, context or dryRun';
      return { run: replayed, replayed: true, refused };
    }
    const run = this.addRun(actionId, key, body);
    this.onCreate(run);
    return { run, replayed: false };
  }

  private answerFailure(
    res: http.ServerResponse,
    failure: InjectedFailure,
  ): void {
    errorBody(
      res,
      failure.status,
      failure.name,
      failure.message ?? 'injected',
      failure.retryAfter,
    );
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
