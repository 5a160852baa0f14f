import { mockCredentials } from '@backstage/backend-test-utils';
import { stepContext, testServices } from '../__testUtils__/stepContext';
import { errorBody } from '../__testUtils__/fakeRun';
import { FakePool } from '../__testUtils__/fakePool';
import { waitFor } from '../__testUtils__/waitFor';
import { executeStep } from './execute';

const REQUEST = { actionId: 'debug:sleep', input: { seconds: 1 } };

describe('executeStep', () => {
  let pool: FakePool;

  beforeEach(async () => {
    pool = await FakePool.start();
  });

  afterEach(async () => {
    await pool.close();
  });

  const creations = () => pool.requestsTo('POST', /^\/v1\/actions\/.*\/runs$/);

  it('creates the run with the step key, context and a plugin token, and maps its output', async () => {
    // Given a task with secrets, a template annotated with an owner and a user; When the step
    // runs and its run completes; Then the creation carries the key, context and token, and
    // the run's output becomes the step's
    const { ctx, output, lines } = stepContext({
      secrets: {
        token: 's3cret',
        backstageToken: 'bt',
        __initiatorCredentials: '{}',
      },
      templateInfo: {
        entityRef: 'template:default/create-service',
        entity: {
          metadata: {
            name: 'create-service',
            annotations: { 'actionpool.io/owner': 'group:default/payments' },
          },
        },
      },
      user: {
        ref: 'user:default/mock',
        entity: {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'User',
          metadata: { name: 'mock' },
          spec: {},
        },
      },
    });
    const done = executeStep(testServices(pool.url), ctx, REQUEST);
    await waitFor(() => pool.runs.size === 1, 'the run');
    const run = pool.onlyRun().start().info('slept 1 of 1 s');
    run.complete({ sleptS: 1.002, nested: { a: [1] } });
    await done;

    expect(creations()).toHaveLength(1);
    const [create] = creations();
    expect(create.path).toBe('/v1/actions/debug%3Asleep/runs');
    expect(create.headers.authorization).toBe(
      `Bearer ${mockCredentials.service.token({
        onBehalfOf: mockCredentials.user(),
        targetPluginId: 'actionpool',
      })}`,
    );
    expect(create.body).toEqual({
      input: { seconds: 1 },
      idempotencyKey: 'task-1:provision',
      context: {
        taskId: 'task-1',
        stepId: 'provision',
        templateRef: 'template:default/create-service',
        owner: 'group:default/payments',
      },
      user: {
        ref: 'user:default/mock',
        entity: {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'User',
          metadata: { name: 'mock' },
          spec: {},
        },
      },
      secrets: { token: 's3cret' },
      dryRun: false,
    });
    expect(output.mock.calls).toEqual([
      ['sleptS', 1.002],
      ['nested', { a: [1] }],
    ]);
    expect(lines()[0]).toBe(
      `Started actionpool run ${run.id} of debug:sleep: ${pool.url}/v1/runs/${run.id}`,
    );
    expect(lines()).toContain('slept 1 of 1 s');
  });

  it('writes live log lines in order, once each, across a dropped stream', async () => {
    // Given a run followed on its stream; When the stream drops between lines; Then it is
    // resumed after the last event, and every line is logged once, in order
    const { ctx, lines } = stepContext();
    const done = executeStep(testServices(pool.url), ctx, REQUEST);
    await waitFor(() => pool.runs.size === 1, 'the run');
    const run = pool.onlyRun().start().info('line 1').info('line 2');
    await waitFor(() => lines().includes('line 2'), 'line 2');
    run.dropStreams();
    run.info('line 3').info('line 4');
    await waitFor(() => lines().includes('line 4'), 'line 4');
    run.complete({});
    await done;

    const logged = lines().filter(line => line.startsWith('line '));
    expect(logged).toEqual(['line 1', 'line 2', 'line 3', 'line 4']);
    const resumed = pool
      .requestsTo('GET', /\/events/)
      .map(r => r.headers['last-event-id']);
    expect(resumed).toContain('2');
  });

  it('polls the JSON list when the pool answers no stream', async () => {
    // Given a pool answering the JSON list; When the run logs and completes; Then the step
    // polls, logs each line once, and takes the output
    pool.jsonEventsOnly = true;
    const { ctx, lines, output } = stepContext();
    const done = executeStep(testServices(pool.url), ctx, REQUEST);
    await waitFor(() => pool.runs.size === 1, 'the run');
    const run = pool.onlyRun().start().info('polled 1');
    await waitFor(() => lines().includes('polled 1'), 'the first line');
    run.info('polled 2').complete({ n: 2 });
    await done;
    expect(lines().filter(line => line.startsWith('polled'))).toEqual([
      'polled 1',
      'polled 2',
    ]);
    expect(output).toHaveBeenCalledWith('n', 2);
  });

  it('cancels the run when the task is cancelled, and waits for it to end', async () => {
    // Given a running run; When the task is cancelled; Then the run is asked to stop, its
    // lines are still logged, and the step ends only when the run has ended
    const abort = new AbortController();
    const { ctx, lines, output } = stepContext({ signal: abort.signal });
    let settled = false;
    const done = executeStep(testServices(pool.url), ctx, REQUEST).finally(
      () => {
        settled = true;
      },
    );
    await waitFor(() => pool.runs.size === 1, 'the run');
    const run = pool.onlyRun().start().info('working');
    await waitFor(() => lines().includes('working'), 'the first line');
    abort.abort();
    await waitFor(() => run.cancelRequested, 'the cancel request');
    run.info('stopping');
    await waitFor(
      () => lines().includes('stopping'),
      'the line written while stopping',
    );
    expect(settled).toBe(false);
    run.endCancelled();
    await expect(done).rejects.toMatchObject({ name: 'CancelledError' });
    expect(pool.requestsTo('POST', /\/cancel$/)).toHaveLength(1);
    expect(output).not.toHaveBeenCalled();
  });

  it('throws the run error with its name and message', async () => {
    // Given a run; When it fails; Then the step fails with its error, naming the run
    const { ctx } = stepContext();
    const done = executeStep(testServices(pool.url), ctx, REQUEST);
    await waitFor(() => pool.runs.size === 1, 'the run');
    const run = pool
      .onlyRun()
      .start()
      .fail('ActionTimeoutError', 'attempt 1 passed its soft time limit');
    await expect(done).rejects.toMatchObject({
      name: 'ActionTimeoutError',
      message: `attempt 1 passed its soft time limit (actionpool run ${run.id})`,
    });
  });

  it('retries a creation answered 503, 504 and 429 with the same key', async () => {
    // Given a pool answering 503, 504 and 429 first; When the step runs; Then the creation
    // is sent again with the same key until it is accepted
    pool.createFailures.push(
      { status: 503, name: 'StoreUnavailableError', retryAfter: '0' },
      { status: 504, name: 'CommitUnknownError', retryAfter: '0' },
      { status: 429, name: 'RateLimitedError', retryAfter: '0' },
    );
    const { ctx, logger } = stepContext();
    const done = executeStep(testServices(pool.url), ctx, REQUEST);
    await waitFor(() => pool.runs.size === 1, 'the run');
    pool.onlyRun().start().complete({});
    await done;
    const keys = creations().map(
      r => (r.body as { idempotencyKey: string }).idempotencyKey,
    );
    expect(keys).toEqual(Array(4).fill('task-1:provision'));
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('StoreUnavailableError: injected'),
    );
  });

  it("fails with the pool's error on a refused creation, without retrying", async () => {
    // Given a pool refusing the input; When the step runs; Then it fails at once with the
    // pool's error
    pool.createFailures.push({ status: 422, name: 'InputValidationError' });
    const { ctx } = stepContext();
    await expect(
      executeStep(testServices(pool.url), ctx, REQUEST),
    ).rejects.toMatchObject({
      name: 'InputValidationError',
      message: 'injected',
    });
    expect(creations()).toHaveLength(1);
  });

  it('fails when the run is not found while following it', async () => {
    // Given a run followed; When the pool no longer knows it; Then the step fails with
    // RunNotFoundError
    const { ctx } = stepContext();
    const done = executeStep(testServices(pool.url), ctx, REQUEST);
    await waitFor(() => pool.runs.size === 1, 'the run');
    pool.intercept = (req, res) => {
      if (!req.url?.includes('/events')) return false;
      errorBody(res, 404, 'RunNotFoundError', 'No run with that id');
      return true;
    };
    pool.onlyRun().dropStreams();
    await expect(done).rejects.toMatchObject({ name: 'RunNotFoundError' });
  });

  it("follows with the module's own credentials once the user's token is refused", async () => {
    // Given a run followed with the user's token; When the pool refuses that token (401);
    // Then the step follows on with the module's own credentials
    const { ctx, output } = stepContext();
    const done = executeStep(testServices(pool.url), ctx, REQUEST);
    await waitFor(() => pool.runs.size === 1, 'the run');
    pool.intercept = (req, res) => {
      if (
        !req.headers.authorization?.includes('"obo":"user:default/mock"') ||
        req.method !== 'GET'
      )
        return false;
      errorBody(res, 401, 'AuthenticationError', 'token expired');
      return true;
    };
    const run = pool.onlyRun().start();
    run.dropStreams();
    run.complete({ done: true });
    await done;
    expect(output).toHaveBeenCalledWith('done', true);
    const last = pool.requests[pool.requests.length - 1];
    expect(last.headers.authorization).toContain('"sub":"plugin:scaffolder"');
  });

  it("fails with the run's error when its stream closes without a terminal event", async () => {
    // Given a run followed on its stream
    const { ctx, lines } = stepContext();
    const done = executeStep(testServices(pool.url), ctx, REQUEST);
    await waitFor(() => pool.runs.size === 1, 'the run');
    const run = pool.onlyRun().start().info('working');
    await waitFor(() => lines().includes('working'), 'the first line');
    // When the pool ends the run (it expired) and closes the stream without a terminal event
    run.endSilently('failed', {
      output: null,
      error: { name: 'RunExpiredError', message: 'the run expired' },
    });
    // Then the step reads the run and fails with its error
    await expect(done).rejects.toMatchObject({
      name: 'RunExpiredError',
      message: `the run expired (actionpool run ${run.id})`,
    });
  });
});
