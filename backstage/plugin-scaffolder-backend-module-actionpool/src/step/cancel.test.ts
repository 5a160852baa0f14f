import {
  Checkpoints,
  FAST_SETTINGS,
  stepContext,
  testServices,
} from '../__testUtils__/stepContext';
import { FakePool } from '../__testUtils__/fakePool';
import { waitFor } from '../__testUtils__/waitFor';
import { executeStep } from './execute';

const REQUEST = { actionId: 'debug:sleep', input: { seconds: 1 } };

describe('executeStep when the task is cancelled', () => {
  let pool: FakePool;

  beforeEach(async () => {
    pool = await FakePool.start();
  });

  afterEach(async () => {
    await pool.close();
  });

  it('starts nothing when the task is already cancelled', async () => {
    const abort = new AbortController();
    abort.abort();
    const { ctx } = stepContext({ signal: abort.signal });
    await expect(
      executeStep(testServices(pool.url), ctx, REQUEST),
    ).rejects.toMatchObject({
      name: 'CancelledError',
    });
    expect(pool.requests).toHaveLength(0);
  });

  it('cancels a run still waiting for a worker at once', async () => {
    const abort = new AbortController();
    const { ctx } = stepContext({ signal: abort.signal });
    const done = executeStep(testServices(pool.url), ctx, REQUEST);
    await waitFor(
      () => pool.runs.size === 1 && pool.onlyRun().openStreams === 1,
      'the stream',
    );
    abort.abort();
    await expect(done).rejects.toMatchObject({ name: 'CancelledError' });
    expect(pool.onlyRun().status).toBe('cancelled');
  });

  it('gives up waiting for a run that does not stop', async () => {
    const abort = new AbortController();
    const { ctx } = stepContext({ signal: abort.signal });
    const services = testServices(pool.url, {
      ...FAST_SETTINGS,
      cancelTimeoutMs: 100,
    });
    const done = executeStep(services, ctx, REQUEST);
    await waitFor(
      () => pool.runs.size === 1 && pool.onlyRun().openStreams === 1,
      'the stream',
    );
    pool.onlyRun().start();
    abort.abort();
    await expect(done).rejects.toMatchObject({
      name: 'CancelledError',
      message: expect.stringContaining(
        'had not ended 0.1 s after it was asked to stop',
      ),
    });
    expect(pool.onlyRun().cancelRequested).toBe(true);
  });

  it('stops retrying a creation the pool keeps refusing as unavailable', async () => {
    for (let i = 0; i < 1000; i++) {
      pool.createFailures.push({
        status: 503,
        name: 'StoreUnavailableError',
        retryAfter: '0',
      });
    }
    const abort = new AbortController();
    const checkpoints = new Checkpoints();
    const { ctx } = stepContext({ signal: abort.signal, checkpoints });
    const done = executeStep(testServices(pool.url), ctx, REQUEST);
    await waitFor(() => pool.requests.length >= 3, 'a few tries');
    abort.abort();
    await expect(done).rejects.toMatchObject({
      name: 'CancelledError',
      message: expect.stringContaining('StoreUnavailableError'),
    });
    expect(pool.runs.size).toBe(0);
    expect(checkpoints.values.size).toBe(0);
  });
});
