/*
 * Reading one Server-Sent Events answer of `GET /v1/runs/{id}/events`: each frame parsed
 * into a run event as it arrives, a stream silent too long cut, failures of the connection
 * told apart from answers that are not what the API documents.
 */
import { createParser, EventSourceMessage } from 'eventsource-parser';
import { PoolUnreachableError } from './errors';
import { MalformedPoolResponseError, parseRunEvent } from './parse';
import type { RunEvent } from './types';

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

/**
 * Reads the stream until it ends, or `until.done()` (the terminal event was delivered).
 * A drop or a silence of `idleTimeoutMs` (the connection is then aborted) is thrown as
 * PoolUnreachableError; a frame that is not a run event as MalformedPoolResponseError.
 */
export async function readStream(
  response: Response,
  connection: AbortController,
  idleTimeoutMs: number,
  deliver: (event: RunEvent) => void,
  until: { done: () => boolean },
): Promise<void> {
  const url = response.url;
  if (!response.body) {
    throw new PoolUnreachableError(url, new Error('the stream has no body'));
  }
  const parser = createParser({
    onEvent: message => deliver(eventOf(message)),
  });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const watchdog = new IdleWatchdog(idleTimeoutMs, () => connection.abort());
  try {
    while (!until.done()) {
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

/** A frame's run event. Its data is never quoted in an error: it may hold a run's output. */
function eventOf(message: EventSourceMessage): RunEvent {
  const where = `event ${message.id ?? '?'}`;
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    throw new MalformedPoolResponseError(
      `${where}: its data is not JSON (${message.data.length} characters)`,
    );
  }
  return parseRunEvent(data, where);
}
