import {
  Checkpoints,
  stepContext,
  testServices,
} from '../__testUtils__/stepContext';
import { FakePool } from '../__testUtils__/fakePool';
import type { FakeRun } from '../__testUtils__/fakeRun';
import { waitFor } from '../__testUtils__/waitFor';
import { executeStep } from './execute';

const REQUEST = { actionId: 'debug:sleep', input: { seconds: 1 } };

describe('executeStep on a retry or a recovery of its step', () => {
  let pool: FakePool;

  beforeEach(async () => {
    pool = await FakePool.start();
  });

  afterEach(async () => {
    await pool.close();
  });

  const creations = () => pool.requestsTo('POST', /^\/v1\/actions\/.*\/runs$/);
  const nthRun = (n: number): FakeRun => [...pool.runs.values()][n];

  /** One execution of the step (a new snapshot of `checkpoints`), to its end. */
  async function execution(checkpoints: Checkpoints, drive: () => void) {
    const step = stepContext({ checkpoints });
    const runs = pool.runs.size;
    const done = executeStep(testServices(pool.url), step.ctx, REQUEST);
    await waitFor(() => pool.runs.size > runs, 'a new run');
    drive();
    return { ...step, done };
  }

  it('re-attaches to the run kept in the checkpoint instead of starting another', async () => {
    // Given a checkpoint holding a run that is still going
    const checkpoints = new Checkpoints();
    const run = pool.addRun('debug:sleep').start().info('first half');
    checkpoints.values.set('actionpool.run.v1', { runId: run.id });
    // When the step is executed again (a recovery)
    const { ctx, output, lines } = stepContext({ checkpoints });
    const done = executeStep(testServices(pool.url), ctx, REQUEST);
    await waitFor(() => lines().includes('first half'), 'the earlier log line');
    run.info('second half').complete({ sleptS: 2 });
    await done;

    // Then it follows that run from its first event, and starts none
    expect(creations()).toHaveLength(0);
    expect(lines()[0]).toContain(
      `Following actionpool run ${run.id} (processing)`,
    );
    expect(output).toHaveBeenCalledWith('sleptS', 2);
  });

  it('uses the output of a completed run on a second execution, without running it again', async () => {
    // Given an execution whose run completed
    const checkpoints = new Checkpoints();
    const first = await execution(checkpoints, () =>
      pool.onlyRun().start().complete({ sleptS: 1 }),
    );
    await first.done;

    // When the step is executed again
    const second = stepContext({ checkpoints });
    await executeStep(testServices(pool.url), second.ctx, REQUEST);

    // Then it takes the run's output, and creates nothing
    expect(creations()).toHaveLength(1);
    expect(second.output).toHaveBeenCalledWith('sleptS', 1);
  });

  it('starts one successor run per retry of a step whose failure it reported', async () => {
    // Given an execution that failed with its run's error
    const checkpoints = new Checkpoints();
    const first = await execution(checkpoints, () =>
      nthRun(0).start().fail('ActionTimeoutError', 'too slow'),
    );
    await expect(first.done).rejects.toMatchObject({
      name: 'ActionTimeoutError',
    });
    const runA = nthRun(0);
    expect(
      checkpoints.values.get(`actionpool.run.v1.reported.${runA.id}`),
    ).toEqual({ reported: true });

    // When the task is retried, and its successor fails too
    const retry1 = await execution(checkpoints, () =>
      nthRun(1).start().fail('ActionError', 'still broken'),
    );
    const runB = nthRun(1);
    await expect(retry1.done).rejects.toMatchObject({
      name: 'ActionError',
      message: `still broken (actionpool run ${runB.id})`,
    });
    // Then the successor had its own key and checkpoint
    expect(runB.body?.idempotencyKey).toBe(`task-1:provision:after:${runA.id}`);
    expect(
      checkpoints.values.get(`actionpool.run.v1.after.${runA.id}`),
    ).toEqual({ runId: runB.id });

    // When the task is retried once more
    const retry2 = await execution(checkpoints, () =>
      nthRun(2).start().complete({ sleptS: 3 }),
    );
    await retry2.done;
    // Then the chain goes on after the second run, one run per retry
    expect(nthRun(2).body?.idempotencyKey).toBe(
      `task-1:provision:after:${runB.id}`,
    );
    expect(creations()).toHaveLength(3);
    expect(retry2.output).toHaveBeenCalledWith('sleptS', 3);
  });

  it("fails with the run's error, without a successor, when a create retried after a 504 had made it and it failed", async () => {
    // Given a pool that makes the run but answers 504, and the run fails at once
    pool.createFailures.push({
      status: 504,
      name: 'CommitUnknownError',
      retryAfter: '0',
      commits: true,
    });
    pool.onCreate = run => run.start().fail('ActionError', 'broken');
    // When the step runs (and retries the create with its key)
    const { ctx } = stepContext();
    const error = await executeStep(testServices(pool.url), ctx, REQUEST).catch(
      (e: unknown) => e,
    );
    // Then it fails with that run's error, and no second run is started
    expect(error).toMatchObject({
      name: 'ActionError',
      message: `broken (actionpool run ${pool.onlyRun().id})`,
    });
    expect(creations()).toHaveLength(2);
    expect(pool.runs.size).toBe(1);
  });

  it('reports a failed run its key replays as found, also without the replay header', async () => {
    // Given a failed run under the step's key, and a proxy dropping Idempotent-Replayed
    pool.replayHeader = false;
    const failed = pool
      .addRun('debug:sleep', 'task-1:provision')
      .start()
      .fail('E', 'x');
    // When the step runs
    const { ctx, lines } = stepContext();
    const done = executeStep(testServices(pool.url), ctx, REQUEST);
    // Then it follows that run, and fails with its error
    await expect(done).rejects.toMatchObject({
      message: `x (actionpool run ${failed.id})`,
    });
    expect(lines()[0]).toContain(
      `Following actionpool run ${failed.id} (failed)`,
    );
    expect(pool.runs.size).toBe(1);
  });

  it("fails a recovery with the run's unreported failure, and the next retry starts its successor", async () => {
    // Given a run kept in the checkpoint that failed while Backstage was down
    const checkpoints = new Checkpoints();
    const runA = pool.addRun('debug:sleep').start().fail('ActionError', 'lost');
    checkpoints.values.set('actionpool.run.v1', { runId: runA.id });
    // When the step is recovered (a new execution)
    const recovery = stepContext({ checkpoints });
    await expect(
      executeStep(testServices(pool.url), recovery.ctx, REQUEST),
    ).rejects.toMatchObject({
      message: `lost (actionpool run ${runA.id})`,
    });
    // Then no run was started; When the task is then retried
    expect(creations()).toHaveLength(0);
    const retry = await execution(checkpoints, () =>
      nthRun(1).start().complete({ ok: true }),
    );
    await retry.done;
    // Then the retry ran the action once more
    expect(nthRun(1).body?.idempotencyKey).toBe(
      `task-1:provision:after:${runA.id}`,
    );
    expect(retry.output).toHaveBeenCalledWith('ok', true);
  });

  it('still reports the failure after an execution that stopped between seeing it and reporting it', async () => {
    // Given a failed, unreported run, and an execution that stops right after finding it
    const checkpoints = new Checkpoints();
    const runA = pool.addRun('debug:sleep').start().fail('ActionError', 'lost');
    checkpoints.values.set('actionpool.run.v1', { runId: runA.id });
    const crashing = testServices(pool.url);
    jest
      .spyOn(crashing.client, 'baseUrl')
      .mockRejectedValueOnce(new Error('Backstage stopped'));
    const crashed = stepContext({ checkpoints });
    await expect(executeStep(crashing, crashed.ctx, REQUEST)).rejects.toThrow(
      'Backstage stopped',
    );
    // When the step is executed again, Then it reports the run's failure
    const recovery = stepContext({ checkpoints });
    await expect(
      executeStep(testServices(pool.url), recovery.ctx, REQUEST),
    ).rejects.toMatchObject({ message: `lost (actionpool run ${runA.id})` });
    // And When the task is retried after that, Then the successor starts
    const retry = await execution(checkpoints, () =>
      nthRun(1).start().complete({}),
    );
    await retry.done;
    expect(creations()).toHaveLength(1);
  });
});
