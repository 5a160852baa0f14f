import { mockServices } from '@backstage/backend-test-utils';
import { FakePool } from '../__testUtils__/fakePool';
import { FAST_SETTINGS, testServices } from '../__testUtils__/stepContext';
import { waitFor } from '../__testUtils__/waitFor';
import { Authority } from '../retrying';
import { followRun } from './follow';
import type { RunEvent } from './types';

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

  it('fails on an event that is not JSON', async () => {
    const run = pool.addRun('debug:sleep').start();
    pool.intercept = (req, res) => {
      if (!req.url?.includes('/events')) return false;
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('id: 1\nevent: log\ndata: {not json\n\n');
      return true;
    };
    await expect(follow(run.id, [])).rejects.toMatchObject({
      name: 'MalformedPoolResponseError',
    });
  });
});
