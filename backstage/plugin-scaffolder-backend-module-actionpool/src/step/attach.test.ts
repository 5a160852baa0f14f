import {
  Checkpoints,
  stepContext,
  testServices,
} from '../__testUtils__/stepContext';
import { FakePool } from '../__testUtils__/fakePool';
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

  it('re-attaches to the run kept in the checkpoint instead of starting another', async () => {
    const checkpoints = new Checkpoints();
    const run = pool.addRun('debug:sleep').start().info('first half');
    checkpoints.values.set('actionpool.run.v1', { runId: run.id });
    const { ctx, output, lines } = stepContext({ checkpoints });
    const done = executeStep(testServices(pool.url), ctx, REQUEST);
    await waitFor(() => lines().includes('first half'), 'the earlier log line');
    run.info('second half').complete({ sleptS: 2 });
    await done;

    expect(creations()).toHaveLength(0);
    expect(lines()[0]).toContain(
      `Following actionpool run ${run.id} (processing)`,
    );
    expect(output).toHaveBeenCalledWith('sleptS', 2);
  });

  it('uses the output of a completed run on a second execution, without running it again', async () => {
    const checkpoints = new Checkpoints();
    const first = stepContext({ checkpoints });
    const done = executeStep(testServices(pool.url), first.ctx, REQUEST);
    await waitFor(() => pool.runs.size === 1, 'the run');
    pool.onlyRun().start().complete({ sleptS: 1 });
    await done;

    const second = stepContext({ checkpoints });
    await executeStep(testServices(pool.url), second.ctx, REQUEST);
    expect(creations()).toHaveLength(1);
    expect(second.output).toHaveBeenCalledWith('sleptS', 1);
  });

  it('starts one successor run per retry of a step whose run failed', async () => {
    const checkpoints = new Checkpoints();
    const first = pool
      .addRun('debug:sleep')
      .start()
      .fail('ActionTimeoutError', 'too slow');
    checkpoints.values.set('actionpool.run.v1', { runId: first.id });

    const retry1 = stepContext({ checkpoints });
    const done1 = executeStep(testServices(pool.url), retry1.ctx, REQUEST);
    await waitFor(() => pool.runs.size === 2, 'the successor');
    const second = [...pool.runs.values()][1];
    second.start().fail('ActionError', 'still broken');
    await expect(done1).rejects.toMatchObject({
      name: 'ActionError',
      message: `still broken (actionpool run ${second.id})`,
    });
    expect(second.body?.idempotencyKey).toBe(
      `task-1:provision:after:${first.id}`,
    );
    expect(
      checkpoints.values.get(`actionpool.run.v1.after.${first.id}`),
    ).toEqual({ runId: second.id });

    const retry2 = stepContext({ checkpoints });
    const done2 = executeStep(testServices(pool.url), retry2.ctx, REQUEST);
    await waitFor(() => pool.runs.size === 3, 'the next successor');
    const third = [...pool.runs.values()][2];
    third.start().complete({ sleptS: 3 });
    await done2;
    expect(third.body?.idempotencyKey).toBe(
      `task-1:provision:after:${second.id}`,
    );
    expect(creations()).toHaveLength(2);
    expect(retry2.output).toHaveBeenCalledWith('sleptS', 3);
  });

  it('starts a successor when the key replays a run that already failed', async () => {
    const failed = pool
      .addRun('debug:sleep', 'task-1:provision')
      .start()
      .fail('E', 'broken');
    const { ctx, output } = stepContext();
    const done = executeStep(testServices(pool.url), ctx, REQUEST);
    await waitFor(() => pool.runs.size === 2, 'the successor');
    const successor = [...pool.runs.values()][1];
    expect(successor.body?.idempotencyKey).toBe(
      `task-1:provision:after:${failed.id}`,
    );
    successor.start().complete({ ok: true });
    await done;
    expect(output).toHaveBeenCalledWith('ok', true);
  });

  it('takes an ended run answered to its key as found, even without the replay header', async () => {
    pool.replayHeader = false;
    const failed = pool
      .addRun('debug:sleep', 'task-1:provision')
      .start()
      .fail('E', 'x');
    const { ctx } = stepContext();
    const done = executeStep(testServices(pool.url), ctx, REQUEST);
    await waitFor(() => pool.runs.size === 2, 'the successor');
    const successor = [...pool.runs.values()][1];
    expect(successor.body?.idempotencyKey).toBe(
      `task-1:provision:after:${failed.id}`,
    );
    successor.start().complete({});
    await done;
  });
});
