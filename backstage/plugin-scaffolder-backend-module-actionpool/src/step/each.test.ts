import {
  Checkpoints,
  stepContext,
  testServices,
} from '../__testUtils__/stepContext';
import { FakePool } from '../__testUtils__/fakePool';
import type { FakeRun } from '../__testUtils__/fakeRun';
import { waitFor } from '../__testUtils__/waitFor';
import { executeStep } from './execute';

describe('executeStep for a step with each', () => {
  let pool: FakePool;

  beforeEach(async () => {
    pool = await FakePool.start();
  });

  afterEach(async () => {
    await pool.close();
  });

  const nthRun = (n: number): FakeRun => [...pool.runs.values()][n];
  const keyOf = (run: FakeRun) => run.body?.idempotencyKey;

  /**
   * One call of the action, as the scaffolder makes it for an item: the execution's context
   * (its logger, task, step and checkpoints), the item's input; `end` ends the run it makes.
   */
  async function call(
    step: ReturnType<typeof stepContext>,
    seconds: number,
    end?: (run: FakeRun) => void,
  ) {
    const runs = pool.runs.size;
    const input = { seconds };
    const done = executeStep(
      testServices(pool.url),
      { ...step.ctx, input },
      { actionId: 'debug:sleep', input },
    );
    if (end) {
      await waitFor(() => pool.runs.size > runs, 'the run of the call');
      end(nthRun(runs));
    }
    return done;
  }

  it('gives each iteration of an execution its own run, key and checkpoint', async () => {
    // Given one execution of a step with three items
    const checkpoints = new Checkpoints();
    const step = stepContext({ checkpoints });
    // When the scaffolder calls the action once per item, in order
    for (const seconds of [1, 2, 3]) {
      await call(step, seconds, run => run.start().complete({ seconds }));
    }
    // Then each call made its own run: the first with the step's plain key
    expect([...pool.runs.values()].map(keyOf)).toEqual([
      'task-1:provision',
      'task-1:provision:each:1',
      'task-1:provision:each:2',
    ]);
    expect([...checkpoints.values.keys()]).toEqual([
      'actionpool.run.v1',
      'actionpool.run.v1[1]',
      'actionpool.run.v1[2]',
    ]);
    expect(step.output.mock.calls).toEqual([
      ['seconds', 1],
      ['seconds', 2],
      ['seconds', 3],
    ]);
  });

  it('on a retry, keeps the completed iterations and runs the failed one once more', async () => {
    // Given an execution whose second item's run failed (the scaffolder stops there)
    const checkpoints = new Checkpoints();
    const first = stepContext({ checkpoints });
    await call(first, 1, run => run.start().complete({ seconds: 1 }));
    await expect(
      call(first, 2, run => run.start().fail('ActionError', 'broken')),
    ).rejects.toMatchObject({ name: 'ActionError' });
    const failed = nthRun(1);

    // When the task is retried: a new execution calls the action for each item again
    const retry = stepContext({ checkpoints });
    await call(retry, 1);
    await call(retry, 2, run => run.start().complete({ seconds: 2 }));
    await call(retry, 3, run => run.start().complete({ seconds: 3 }));

    // Then the first item's run is used as it is, the second gets a successor, the third runs
    expect([...pool.runs.values()].map(keyOf)).toEqual([
      'task-1:provision',
      'task-1:provision:each:1',
      `task-1:provision:each:1:after:${failed.id}`,
      'task-1:provision:each:2',
    ]);
    expect(retry.output.mock.calls).toEqual([
      ['seconds', 1],
      ['seconds', 2],
      ['seconds', 3],
    ]);
  });
});
