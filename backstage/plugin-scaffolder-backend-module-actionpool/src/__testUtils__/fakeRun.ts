/*
 * One run of the fake pool: its record, its events, and the streams following it. The test
 * drives it (start, log, complete, fail, end a cancellation).
 */
import type http from 'node:http';
import type { JsonObject } from '@backstage/types';

type Status = 'open' | 'processing' | 'completed' | 'failed' | 'cancelled';

interface Event {
  id: number;
  runId: string;
  type: string;
  body: JsonObject;
  createdAt: string;
}

export function errorBody(
  res: http.ServerResponse,
  status: number,
  name: string,
  message: string,
  retryAfter?: string,
): void {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
  };
  if (retryAfter !== undefined) {
    headers['Retry-After'] = retryAfter;
  }
  res.writeHead(status, headers);
  res.end(
    JSON.stringify({
      error: { name, message },
      response: { statusCode: status },
    }),
  );
}

export class FakeRun {
  status: Status = 'open';
  output: JsonObject | null = null;
  error: { name: string; message: string } | null = null;
  /** The creation request's body. */
  body: JsonObject | undefined;
  cancelRequested = false;
  readonly log: Event[] = [];
  private readonly streams = new Set<http.ServerResponse>();

  constructor(readonly id: string, readonly actionId: string) {}

  get ended(): boolean {
    return ['completed', 'failed', 'cancelled'].includes(this.status);
  }

  resource(): JsonObject {
    return {
      id: this.id,
      actionId: this.actionId,
      status: this.status,
      input: {},
      output: this.output,
      error: this.error,
      attempt: this.status === 'open' ? 0 : 1,
      maxAttempts: 3,
      context: {},
      links: {
        self: `/v1/runs/${this.id}`,
        events: `/v1/runs/${this.id}/events`,
      },
    };
  }

  answer(
    res: http.ServerResponse,
    status: number,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(status, {
      'Content-Type': 'application/json',
      Location: `/v1/runs/${this.id}`,
      ...headers,
    });
    res.end(JSON.stringify(this.resource()));
  }

  start(): this {
    this.status = 'processing';
    return this;
  }

  info(message: string): this {
    return this.emit('log', { message, level: 'info' });
  }

  complete(output: JsonObject): this {
    this.status = 'completed';
    this.output = output;
    const message = 'Run completed with status: completed';
    return this.emit('completion', { message, status: 'completed', output });
  }

  fail(name: string, message: string): this {
    this.status = 'failed';
    this.error = { name, message };
    return this.emit('completion', {
      message: 'Run completed with status: failed',
      status: 'failed',
      error: this.error,
    });
  }

  endCancelled(): this {
    this.status = 'cancelled';
    this.error = { name: 'CancelledError', message: 'Run cancelled' };
    return this.emit('cancelled', {
      message: 'Run cancelled',
      status: 'cancelled',
    });
  }

  /**
   * Ends the run in its record only, without a terminal event (as an expired run, or one
   * whose last event was lost, ends): its open streams are closed (or, with `closeStreams`
   * false, left open and silent); a stream opened later sends the events there are, and closes.
   */
  endSilently(
    status: 'completed' | 'failed' | 'cancelled',
    result: Pick<FakeRun, 'output' | 'error'> = { output: null, error: null },
    closeStreams = true,
  ): this {
    this.status = status;
    this.output = result.output;
    this.error = result.error;
    if (closeStreams) {
      for (const res of this.streams) {
        res.end();
      }
    }
    return this;
  }

  cancel(res: http.ServerResponse): void {
    if (this.status === 'completed' || this.status === 'failed') {
      errorBody(
        res,
        409,
        'RunAlreadyEndedError',
        `Run ${this.id} already ended`,
      );
      return;
    }
    this.cancelRequested = true;
    if (this.status === 'open') {
      this.endCancelled();
    }
    this.answer(res, this.status === 'cancelled' ? 200 : 202);
  }

  /** The events after `after`: a stream that ends after the terminal event, or the list. */
  events(res: http.ServerResponse, after: number, stream: boolean): void {
    const events = this.log.filter(e => e.id > after);
    if (!stream) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(events));
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
    });
    res.write(': keep-alive\n\n');
    this.streams.add(res);
    res.on('close', () => this.streams.delete(res));
    events.forEach(event => this.send(res, event));
    if (this.ended) {
      res.end();
    }
  }

  /** Cuts every open stream, as a network failure would. */
  dropStreams(): void {
    for (const res of this.streams) {
      res.destroy();
    }
    this.streams.clear();
  }

  get openStreams(): number {
    return this.streams.size;
  }

  private emit(type: string, body: JsonObject): this {
    const event = {
      id: this.log.length + 1,
      runId: this.id,
      type,
      body,
      createdAt: new Date().toISOString(),
    };
    this.log.push(event);
    for (const res of this.streams) {
      this.send(res, event);
      if (this.ended) {
        res.end();
      }
    }
    return this;
  }

  private send(res: http.ServerResponse, event: Event): void {
    res.write(
      `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(
        event,
      )}\n\n`,
    );
  }
}
