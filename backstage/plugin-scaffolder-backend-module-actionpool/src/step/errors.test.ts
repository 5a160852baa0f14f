import { stepContext, testServices } from '../__testUtils__/stepContext';
import { FakePool } from '../__testUtils__/fakePool';
import { waitFor } from '../__testUtils__/waitFor';
import { executeStep } from './execute';

const REQUEST = { actionId: 'debug:sleep', input: { seconds: 1 } };

describe('the errors a step fails with', () => {
  let pool: FakePool;

  beforeEach(async () => {
    pool = await FakePool.start();
  });

  afterEach(async () => {
    await pool.close();
  });

  it('passes on a 403 that is not about the owner as it is', async () => {
    // Given a pool refusing the credential's scope
    pool.createFailures.push({
      status: 403,
      name: 'NotAllowedError',
      message: 'this credential does not hold the scope runs:create',
    });
    const { ctx } = stepContext();
    // When the step runs, Then it fails with the pool's own message only
    await expect(
      executeStep(testServices(pool.url), ctx, REQUEST),
    ).rejects.toMatchObject({
      name: 'NotAllowedError',
      message: 'this credential does not hold the scope runs:create',
    });
  });

  it('says how to name the owner when the pool refuses the one it got', async () => {
    // Given a pool refusing the run's owner
    pool.createFailures.push({
      status: 403,
      name: 'NotAllowedError',
      message:
        "this credential may not create runs for 'group:default/x'; it creates runs for " +
        'group:default/a, group:default/b',
    });
    const { ctx } = stepContext();
    // When the step runs, Then it fails with the pool's error and what to set
    await expect(
      executeStep(testServices(pool.url), ctx, REQUEST),
    ).rejects.toMatchObject({
      name: 'NotAllowedError',
      message: expect.stringMatching(
        /^this credential may not create runs for .*set the template annotation actionpool\.io\/owner \(or `owner` in the input of actionpool:run\)$/,
      ),
    });
  });

  it("explains a key reused with another input: the step's input changed since its run was made", async () => {
    // Given a run made for the step with one input, whose checkpoint was not kept
    const first = stepContext();
    const done = executeStep(testServices(pool.url), first.ctx, REQUEST);
    await waitFor(() => pool.runs.size === 1, 'the run');
    pool.onlyRun().start().complete({});
    await done;
    // When the step runs again with another input
    const second = stepContext();
    const changed = { ...REQUEST, input: { seconds: 2 } };
    // Then the pool refuses the key (422), and the step says why and what to do
    await expect(
      executeStep(testServices(pool.url), second.ctx, changed),
    ).rejects.toMatchObject({
      name: 'IdempotencyKeyReusedError',
      message: expect.stringContaining(
        "The step's input (or its owner) changed since its run was created: the run is " +
          'found by its idempotency key task-1:provision',
      ),
    });
    expect(pool.runs.size).toBe(1);
  });

  it('names a malformed answer without quoting it', async () => {
    // Given a creation answered with a body cut short, holding the run's input
    pool.intercept = (req, res) => {
      if (req.method !== 'POST') return false;
      res.writeHead(202, { 'Content-Type': 'application/json' });
      res.end('{"id": "r1", "input": {"password": "hunter2"');
      return true;
    };
    const { ctx } = stepContext();
    // When the step runs
    const error = await executeStep(testServices(pool.url), ctx, REQUEST).catch(
      (e: Error) => e,
    );
    // Then it fails naming the answer, never its text
    expect(error).toMatchObject({ name: 'MalformedPoolResponseError' });
    expect(String(error)).not.toContain('hunter2');
    expect(String(error)).toContain(
      'with a body that is not JSON (44 characters, application/json)',
    );
  });
});
