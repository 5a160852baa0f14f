/*
 * Following a run's events until its terminal event: the live Server-Sent Events stream,
 * resumed after the last event seen (`Last-Event-ID`) whenever it drops, or the JSON list
 * polled when something in between answers that instead. The pool also closes the stream of
 * a run that ended or expired without a terminal event: whenever a read brings no new event,
 * the run itself is read, and a run that has ended ends the following.
 */
import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { BackoffPolicy, backoffDelay, sleep } from '../retry';
import { Authority, RetryOptions, retryingAs } from '../retrying';
import { EVENT_STREAM, PoolClient } from './client';
import { PoolUnreachableError } from './errors';
import { jsonOf } from './http';
import { MalformedPoolResponseError, parseRunEvents } from './parse';
import { readStream } from './stream';
import { Run, RunEvent, isEnded, isTerminalEvent } from './types';

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

/** What one read of the events was: the JSON list, or a stream and why it stopped early. */
interface Read {
  polled: boolean;
  /** Why a stream stopped before the run's terminal event. */
  interruption?: unknown;
}

/**
 * Resolves once the run's terminal event has been delivered (with undefined), or once the
 * run, read after a read of its events that brought nothing new, has ended (with that run).
 */
export async function followRun(
  options: FollowOptions,
): Promise<Run | undefined> {
  const progress: Progress = { lastId: 0, ended: false };
  const deliver = (event: RunEvent) => {
    if (event.id > progress.lastId && !progress.ended) {
      progress.lastId = event.id;
      progress.ended = isTerminalEvent(event);
      options.onEvent(event);
    }
  };
  const readEvents = async () => {
    options.signal.throwIfAborted();
    const read = await retryingAs(
      options.authority,
      credentials => readOnce(options, credentials, progress, deliver),
      retryOptions(options),
    );
    options.signal.throwIfAborted();
    return read;
  };
  for (let quiet = 0; ; ) {
    const before = progress.lastId;
    const read = await readEvents();
    if (progress.ended) {
      return undefined;
    }
    quiet = progress.lastId > before ? 0 : quiet + 1;
    const ended = quiet > 0 ? await endedRun(options) : undefined;
    if (ended) {
      // The events written between the last read and the end (an ended run's stream closes).
      await readEvents();
      return ended;
    }
    await pauseBeforeNextRead(options, read, progress.lastId - before, quiet);
  }
}

function retryOptions(options: FollowOptions): RetryOptions {
  return {
    backoff: options.backoff,
    signal: options.signal,
    onRetry: options.onRetry,
  };
}

/** The run, when it has ended (its events may never say so: an expired run's do not). */
async function endedRun(options: FollowOptions): Promise<Run | undefined> {
  const run = await retryingAs(
    options.authority,
    credentials => options.client.getRun(options.runId, { credentials }),
    retryOptions(options),
  );
  return isEnded(run.status) ? run : undefined;
}

async function pauseBeforeNextRead(
  options: FollowOptions,
  read: Read,
  delivered: number,
  quiet: number,
): Promise<void> {
  if (read.polled) {
    if (delivered < EVENTS_PAGE) {
      await sleep(options.pollIntervalMs, options.signal);
    }
    return;
  }
  // A stream that ended or dropped after some events (a proxy's limit, a pool restart) is
  // opened again after the shortest backoff; one that brought nothing, after a growing one.
  const delayMs =
    quiet === 0
      ? options.backoff.initialDelayMs
      : backoffDelay(options.backoff, quiet);
  if (quiet > 0) {
    options.onRetry?.(read.interruption, delayMs);
  }
  await sleep(delayMs, options.signal);
}

/**
 * One request for the events after the last one seen. Events go to `deliver` as they
 * arrive. A failure before the answer came is thrown (and retried with backoff by the
 * caller); a stream that stops early answers why.
 */
async function readOnce(
  options: FollowOptions,
  credentials: BackstageCredentials,
  progress: Progress,
  deliver: (event: RunEvent) => void,
): Promise<Read> {
  const connection = new AbortController();
  const stop = () => connection.abort();
  options.signal.addEventListener('abort', stop, { once: true });
  try {
    const response = await options.client.openEvents(
      options.runId,
      progress.lastId,
      { credentials, signal: connection.signal },
    );
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith(EVENT_STREAM)) {
      parseRunEvents(await jsonOf(response, response.url)).forEach(deliver);
      return { polled: true };
    }
    return await readLive(response, connection, options, progress, deliver);
  } finally {
    options.signal.removeEventListener('abort', stop);
    connection.abort();
  }
}

/** Reads a stream answer to its end: how it stopped, unless by the terminal event. */
async function readLive(
  response: Response,
  connection: AbortController,
  options: FollowOptions,
  progress: Progress,
  deliver: (event: RunEvent) => void,
): Promise<Read> {
  try {
    await readStream(response, connection, options.idleTimeoutMs, deliver, {
      done: () => progress.ended,
    });
  } catch (error) {
    if (error instanceof MalformedPoolResponseError) {
      throw error;
    }
    return { polled: false, interruption: error };
  }
  if (progress.ended) {
    return { polled: false };
  }
  const early = new Error('the stream ended before the run');
  return {
    polled: false,
    interruption: new PoolUnreachableError(response.url, early),
  };
}
