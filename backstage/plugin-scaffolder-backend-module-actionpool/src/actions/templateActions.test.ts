import { FakePool } from '../__testUtils__/fakePool';
import { stepContext, testServices } from '../__testUtils__/stepContext';
import { waitFor } from '../__testUtils__/waitFor';
import type { PoolAction } from '../pool/types';
import { PoolActionCatalog } from './catalog';
import {
  genericRunAction,
  parseGenericInput,
  poolTemplateAction,
  stepExample,
} from './templateActions';

const ECHO: PoolAction = {
  id: 'debug:echo',
  description: 'Echoes',
  examples: [],
  schema: { input: { type: 'object' }, output: { type: 'object' } },
  supportsDryRun: false,
  timeoutS: 60,
  softTimeoutS: 50,
  maxAttempts: 1,
  queue: 'default',
};

describe('the scaffolder actions', () => {
  let pool: FakePool;

  beforeEach(async () => {
    pool = await FakePool.start();
  });

  afterEach(async () => {
    await pool.close();
  });

  it('reads a pool action definition from the catalog at each use', () => {
    const catalog = new PoolActionCatalog();
    const services = testServices(pool.url);
    const action = poolTemplateAction({
      poolId: 'debug:echo',
      scaffolderId: 'x:debug:echo',
      catalog,
      services,
    });
    expect(action.schema).toBeUndefined();
    expect(action.supportsDryRun).toBe(false);
    catalog.update([{ ...ECHO, supportsDryRun: true }]);
    expect(action.schema).toEqual(ECHO.schema);
    expect(action.supportsDryRun).toBe(true);
    expect(action.description).toBe('Echoes');
  });

  it("shows the pool's examples as template steps", () => {
    const example = {
      description: 'Sleep 5 s',
      example: '{"input": {"seconds": 5}}',
    };
    expect(
      JSON.parse(stepExample(example, 'actionpool:debug:sleep').example),
    ).toEqual({
      steps: [
        {
          id: 'run',
          name: 'Sleep 5 s',
          action: 'actionpool:debug:sleep',
          input: { seconds: 5 },
        },
      ],
    });
    const other = { description: 'Other', example: 'steps: []' };
    expect(stepExample(other, 'x')).toBe(other);
  });

  it('checks the generic input', () => {
    expect(parseGenericInput({ action: 'a:b' })).toEqual({
      action: 'a:b',
      input: {},
      owner: undefined,
    });
    expect(() => parseGenericInput({ input: {} })).toThrow(
      /input.action must name a pool action/,
    );
    expect(() => parseGenericInput({ action: 'a:b', input: [] })).toThrow(
      /input.input must be an object/,
    );
    expect(() => parseGenericInput({ action: 'a:b', owner: 1 })).toThrow(
      /input.owner must be a string/,
    );
  });

  it('runs any pool action by id for the named owner', async () => {
    const action = genericRunAction({
      catalog: new PoolActionCatalog(),
      services: testServices(pool.url),
    });
    const { ctx, output } = stepContext({
      input: {
        action: 'debug:echo',
        input: { text: 'hi' },
        owner: 'group:default/payments',
      },
    });
    const done = action.handler(ctx);
    await waitFor(() => pool.runs.size === 1, 'the run');
    const run = pool.onlyRun();
    expect(run.actionId).toBe('debug:echo');
    expect(run.body).toMatchObject({
      input: { text: 'hi' },
      context: { owner: 'group:default/payments' },
    });
    run.start().complete({ text: 'hi' });
    await done;
    expect(output).toHaveBeenCalledWith('text', 'hi');
  });

  it('does not run, in a dry run, an action not known to support dry runs', async () => {
    const catalog = new PoolActionCatalog();
    catalog.update([ECHO]);
    const action = genericRunAction({
      catalog,
      services: testServices(pool.url),
    });
    const { ctx, lines } = stepContext({
      input: { action: 'debug:echo' },
      isDryRun: true,
    });
    await action.handler(ctx);
    expect(pool.runs.size).toBe(0);
    expect(lines()[0]).toContain('Dry run: debug:echo');
  });
});
