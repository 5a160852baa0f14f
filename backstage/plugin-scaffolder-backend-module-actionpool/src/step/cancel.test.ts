import {
  Checkpoints,
  FAST_SETTINGS,
  stepContext,
  testServices,
} from '../__testUtils__/stepContext';
import { errorBody } from '../__testUtils__/fakeRun';
import { FakePool } from '../__testUtils__/fakePool';
import { waitFor } from '../__testUtils__/waitFor';
import { executeStep } from './execute';

const REQUEST = { actionId: 'debug:sleep', input: { seconds: 1 } };

type Key = { idempotencyKey: string };

const isCreation = (method?: string, url?: string) =>
  method === 'POST' && /^\/v1\/actions\/.*\/runs$/.test(url ?? '');

describe('executeStep when the task is cancelled', () => {
  let pool: FakePool;

  beforeEach(async () => {
    pool = await FakePool.start();
  });

  afterEach(async () => {
    await pool.close();
  });

  const creations = () =>
    pool.requests.filter(r => isCreation(r.method, r.path));

  it('starts nothing when the task is already cancelled', async () => {
    // Given a task already cancelled; When the step runs; Then it sends nothing
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
    // Given a run waiting for a worker; When the task is cancelled; Then the run is
    // cancelled at once and the step fails with CancelledError
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
    // Given a running run, When the task is cancelled and the run does not stop in time
    const abort = new AbortController();
    const checkpoints = new Checkpoints();
    const { ctx } = stepContext({ signal: abort.signal, checkpoints });
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
    // Then the step fails, having asked the run to stop, and a retry starts its successor
    expect(pool.onlyRun().cancelRequested).toBe(true);
    expect(
      checkpoints.values.get(`actionpool.run.v1.reported.${pool.onlyRun().id}`),
    ).toEqual({ reported: true });
  });

  it('stops retrying a creation the pool keeps refusing as unavailable', async () => {
    // Given a pool that keeps answering 503 (nothing was done); When the task is cancelled;
    // Then the step stops retrying, no run exists, and no checkpoint was stored
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

  it('cancels the run that a try answered 504 had made, when the task is cancelled during the retries', async () => {
    // Given a pool that makes the run but answers 504, then is unavailable
    const abort = new AbortController();
    pool.createFailures.push({
      status: 504,
      name: 'CommitUnknownError',
      retryAfter: '0',
      commits: true,
    });
    pool.intercept = (req, res) => {
      const tries = creations().length;
      if (!isCreation(req.method, req.url) || tries < 2 || abort.signal.aborted)
        return false;
      errorBody(res, 503, 'StoreUnavailableError', 'down', '0');
      // When the task is cancelled while the creation is being retried
      if (tries === 3) abort.abort();
      return true;
    };
    const { ctx, lines } = stepContext({ signal: abort.signal });
    const done = executeStep(testServices(pool.url), ctx, REQUEST);

    // Then the same creation is sent once more, and the run it answers is cancelled
    await expect(done).rejects.toMatchObject({ name: 'CancelledError' });
    const keys = creations().map(r => (r.body as Key).idempotencyKey);
    expect(keys).toEqual(Array(4).fill('task-1:provision'));
    expect(pool.onlyRun().status).toBe('cancelled');
    expect(lines()).toContainEqual(
      expect.stringContaining('asking once more with the same key'),
    );
  });

  it('starts no successor once the task is cancelled', async () => {
    // Given a failed run, reported by an earlier execution
    const checkpoints = new Checkpoints();
    const failed = pool.addRun('debug:sleep').start().fail('E', 'x');
    checkpoints.values.set('actionpool.run.v1', { runId: failed.id });
    checkpoints.values.set(`actionpool.run.v1.reported.${failed.id}`, {
      reported: true,
    });
    // When the task is cancelled while the retry reads that run
    const abort = new AbortController();
    pool.intercept = req => {
      if (req.url === `/v1/runs/${failed.id}`) abort.abort();
      return false;
    };
    const { ctx } = stepContext({ signal: abort.signal, checkpoints });
    const done = executeStep(testServices(pool.url), ctx, REQUEST);
    // Then the step is cancelled, and the successor is never created
    await expect(done).rejects.toMatchObject({
      name: 'CancelledError',
      message: expect.stringContaining(
        `before the run following actionpool run ${failed.id} was started`,
      ),
    });
    expect(creations()).toHaveLength(0);
  });

  it('settles with a run the pool says had already ended when asked to cancel it', async () => {
    // Given a run followed on a stream that ends in the pool's record but says nothing more
    const abort = new AbortController();
    const { ctx } = stepContext({ signal: abort.signal });
    const services = testServices(pool.url, {
      ...FAST_SETTINGS,
      idleTimeoutMs: 60_000,
      cancelTimeoutMs: 1000,
    });
    const done = executeStep(services, ctx, REQUEST);
    await waitFor(
      () => pool.runs.size === 1 && pool.onlyRun().openStreams === 1,
      'the stream',
    );
    const run = pool.onlyRun().start();
    run.endSilently('completed', { output: { a: 1 }, error: null }, false);
    // When the task is cancelled (the cancel answers 409 RunAlreadyEndedError)
    abort.abort();
    // Then the step reads the run, stops following and settles with it at once
    await expect(done).rejects.toMatchObject({
      name: 'CancelledError',
      message: expect.stringContaining('had completed first'),
    });
    expect(
      pool.requestsTo('GET', new RegExp(`^/v1/runs/${run.id}$`)),
    ).toHaveLength(1);
  });
});
