/*
 * Following a run's events until its terminal event: the live Server-Sent Events stream,
 * resumed after the last event seen (`Last-Event-ID`) whenever it drops, or the JSON list
 * polled when something in between answers that instead.
 */
import { createParser, EventSourceMessage } from 'eventsource-parser';
import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { BackoffPolicy, sleep } from '../retry';
import { Authority, retryingAs } from '../retrying';
import { EVENT_STREAM, PoolClient } from './client';
import { jsonOf } from './http';
import {
  MalformedPoolResponseError,
  parseRunEvent,
  parseRunEvents,
} from './parse';
import { PoolUnreachableError } from './errors';
import { RunEvent, isTerminalEvent } from './types';

/** The most events one JSON answer holds; a full page is followed by another at once. */
const EVENTS_PAGE = 1000;

export interface FollowOptions {
  client: PoolClient;
  authority: Authority;
  runId: string;
  /** Called once per event, in order, never twice for one id. */
  onEvent: (event: RunEvent) => void;
  /** Ends the following (the promise then rejects with the last error or an AbortError). */
  signal: AbortSignal;
  backoff: BackoffPolicy;
  /** A stream that sends nothing (not even a keep-alive) this long is opened again. */
  idleTimeoutMs: number;
  /** The wait between two reads of the JSON list, when the pool answers one. */
  pollIntervalMs: number;
  onRetry?: (error: unknown, delayMs: number) => void;
}

interface Progress {
  lastId: number;
  ended: boolean;
}

/** Resolves once the run's terminal event has been delivered. */
export async function followRun(options: FollowOptions): Promise<void> {
  const progress: Progress = { lastId: 0, ended: false };
  const deliver = (event: RunEvent) => {
    if (event.id > progress.lastId && !progress.ended) {
      progress.lastId = event.id;
      progress.ended = isTerminalEvent(event);
      options.onEvent(event);
    }
  };
  while (!progress.ended) {
    options.signal.throwIfAborted();
    const before = progress.lastId;
    const polled = await retryingAs(
      options.authority,
      credentials => readOnce(options, credentials, progress, deliver),
      {
        backoff: options.backoff,
        signal: options.signal,
        onRetry: options.onRetry,
      },
    );
    if (!progress.ended) {
      await pauseBeforeNextRead(options, polled, progress.lastId - before);
    }
  }
}

async function pauseBeforeNextRead(
  options: FollowOptions,
  polled: boolean,
  delivered: number,
): Promise<void> {
  if (polled && delivered >= EVENTS_PAGE) {
    return;
  }
  // A stream that ended or dropped after some events (a proxy's limit, a pool restart) is
  // opened again after the shortest backoff; a poll waits its interval.
  await sleep(
    polled ? options.pollIntervalMs : options.backoff.initialDelayMs,
    options.signal,
  );
}

/**
 * One request for the events after the last one seen: true when it was the JSON list
 * (polling), false when it was a stream. Events go to `deliver` as they arrive. A failure
 * before any event arrived is thrown (and retried with backoff by the caller).
 */
async function readOnce(
  options: FollowOptions,
  credentials: BackstageCredentials,
  progress: Progress,
  deliver: (event: RunEvent) => void,
): Promise<boolean> {
  const connection = new AbortController();
  const stop = () => connection.abort();
  options.signal.addEventListener('abort', stop, { once: true });
  try {
    const response = await options.client.openEvents(
      options.runId,
      progress.lastId,
      {
        credentials,
        signal: connection.signal,
      },
    );
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith(EVENT_STREAM)) {
      parseRunEvents(await jsonOf(response, response.url)).forEach(deliver);
      return true;
    }
    const before = progress.lastId;
    try {
      await readStream(
        response,
        connection,
        options.idleTimeoutMs,
        deliver,
        progress,
      );
    } catch (error) {
      // A drop after new events is progress: the caller reopens the stream at once.
      if (
        error instanceof MalformedPoolResponseError ||
        progress.lastId === before
      ) {
        throw error;
      }
    }
    if (!progress.ended && progress.lastId === before) {
      throw new PoolUnreachableError(
        response.url,
        new Error('the stream ended before the run'),
      );
    }
    return false;
  } finally {
    options.signal.removeEventListener('abort', stop);
    connection.abort();
  }
}

/** Calls `onIdle` when `poke` has not been called for `timeoutMs`. */
class IdleWatchdog {
  fired = false;
  private timer: ReturnType<typeof setTimeout>;

  constructor(
    private readonly timeoutMs: number,
    private readonly onIdle: () => void,
  ) {
    this.timer = this.arm();
  }

  poke(): void {
    clearTimeout(this.timer);
    this.timer = this.arm();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private arm(): ReturnType<typeof setTimeout> {
    return setTimeout(() => {
      this.fired = true;
      this.onIdle();
    }, this.timeoutMs);
  }
}

/** Reads the stream until it ends, drops, idles too long, or delivers the terminal event. */
async function readStream(
  response: Response,
  connection: AbortController,
  idleTimeoutMs: number,
  deliver: (event: RunEvent) => void,
  progress: Progress,
): Promise<void> {
  const url = response.url;
  if (!response.body) {
    throw new PoolUnreachableError(
      url,
      new Error('the event stream has no body'),
    );
  }
  const parser = createParser({
    onEvent: message => deliver(eventOf(message)),
  });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const watchdog = new IdleWatchdog(idleTimeoutMs, () => connection.abort());
  try {
    while (!progress.ended) {
      const chunk = await reader.read();
      if (chunk.done) {
        return;
      }
      watchdog.poke();
      parser.feed(decoder.decode(chunk.value, { stream: true }));
    }
  } catch (error) {
    if (error instanceof MalformedPoolResponseError) {
      throw error;
    }
    throw new PoolUnreachableError(
      url,
      watchdog.fired ? new Error('the stream went idle') : error,
    );
  } finally {
    watchdog.stop();
  }
}

function eventOf(message: EventSourceMessage): RunEvent {
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    throw new MalformedPoolResponseError(
      `event ${message.id ?? '?'}: data is not JSON: ${message.data.slice(
        0,
        80,
      )}`,
    );
  }
  return parseRunEvent(data, `event ${message.id ?? '?'}`);
}
