import { mockServices } from '@backstage/backend-test-utils';
import { FakePool } from '../__testUtils__/fakePool';
import { FAST_SETTINGS, testServices } from '../__testUtils__/stepContext';
import { waitFor } from '../__testUtils__/waitFor';
import { Authority } from '../retrying';
import { followRun } from './follow';
import type { Run, RunEvent } from './types';

describe('followRun', () => {
  let pool: FakePool;

  beforeEach(async () => {
    pool = await FakePool.start();
  });

  afterEach(async () => {
    await pool.close();
  });

  function follow(runId: string, events: RunEvent[], idleTimeoutMs = 3000) {
    const { client } = testServices(pool.url);
    const auth = mockServices.auth();
    const credentials = () => auth.getOwnServiceCredentials();
    return followRun({
      client,
      authority: new Authority(credentials, credentials),
      runId,
      onEvent: event => events.push(event),
      signal: new AbortController().signal,
      backoff: FAST_SETTINGS.backoff,
      idleTimeoutMs,
      pollIntervalMs: 10,
    });
  }

  it('reopens a stream that went silent', async () => {
    // Given a run whose stream sends nothing; When it stays silent past the idle timeout;
    // Then the stream is opened again, and the run's later events arrive
    const run = pool.addRun('debug:sleep').start();
    const events: RunEvent[] = [];
    const done = follow(run.id, events, 100);
    await waitFor(
      () => pool.requestsTo('GET', /\/events/).length >= 2,
      'a second connection',
    );
    run.info('after the silence').complete({});
    await done;
    expect(events.map(e => e.type)).toEqual(['log', 'completion']);
  });

  it('ends at once for a run that has already ended', async () => {
    // Given a run that has ended; When it is followed; Then one stream delivers its events
    const run = pool
      .addRun('debug:sleep')
      .start()
      .info('one')
      .complete({ a: 1 });
    const events: RunEvent[] = [];
    await follow(run.id, events);
    expect(events.map(e => e.id)).toEqual([1, 2]);
    expect(pool.requestsTo('GET', /\/events/)).toHaveLength(1);
  });

  it('ends with the run when its stream closes without a terminal event', async () => {
    // Given a run followed on its stream
    const run = pool.addRun('debug:sleep').start().info('one');
    const events: RunEvent[] = [];
    let ended: Run | undefined;
    const done = follow(run.id, events).then(r => {
      ended = r;
    });
    await waitFor(() => events.length === 1, 'the first event');
    // When the run ends (expires) in the pool without a terminal event, closing the stream
    run.endSilently('failed', {
      output: null,
      error: { name: 'RunExpiredError', message: 'expired' },
    });
    // Then the following reads the run, and ends with it rather than reopening forever
    await waitFor(() => ended !== undefined, 'the end of the following');
    await done;
    expect(ended).toMatchObject({ id: run.id, status: 'failed' });
    expect(events.map(e => e.type)).toEqual(['log']);
    expect(pool.requestsTo('GET', /\/events/).length).toBeLessThanOrEqual(3);
  });

  it('ends with the run when a poll brings nothing and the run has ended', async () => {
    // Given a pool answering the JSON list, and a run that ended without a terminal event
    pool.jsonEventsOnly = true;
    const run = pool
      .addRun('debug:sleep')
      .info('one')
      .endSilently('completed', { output: { a: 1 }, error: null });
    const events: RunEvent[] = [];
    // When it is followed
    const ended = await follow(run.id, events);
    // Then the first empty poll finds the run ended (and one last read finds nothing more)
    expect(ended).toMatchObject({ status: 'completed', output: { a: 1 } });
    expect(events.map(e => e.id)).toEqual([1]);
    expect(pool.requestsTo('GET', /\/events/)).toHaveLength(3);
  });

  it('delivers the events written until the run was found ended', async () => {
    // Given a run that ended without a terminal event, and wrote a last line just before
    // the following read it
    const run = pool
      .addRun('debug:sleep')
      .info('one')
      .endSilently('failed', { output: null, error: null });
    pool.intercept = req => {
      if (req.url === `/v1/runs/${run.id}`) run.info('last line');
      return false;
    };
    const events: RunEvent[] = [];
    // When it is followed to its end
    await follow(run.id, events);
    // Then that last line is delivered too
    expect(events.map(e => e.body.message)).toEqual(['one', 'last line']);
  });

  it('fails on an event that is not JSON', async () => {
    // Given a stream whose event data is not JSON; When it is followed; Then it fails
    const run = pool.addRun('debug:sleep').start();
    pool.intercept = (req, res) => {
      if (!req.url?.includes('/events')) return false;
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('id: 1\nevent: log\ndata: {not json\n\n');
      return true;
    };
    const error = await follow(run.id, []).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'MalformedPoolResponseError' });
    // Then the message names the event, never its data (it may hold a run's output)
    expect((error as Error).message).toBe(
      'event 1: its data is not JSON (9 characters)',
    );
  });
});
