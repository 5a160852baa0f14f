import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import {
  scaffolderActionsExtensionPoint,
  TemplateAction,
} from '@backstage/plugin-scaffolder-node';
import type { JsonObject } from '@backstage/types';
import { FakePool } from './__testUtils__/fakePool';
import { stepContext } from './__testUtils__/stepContext';
import { waitFor } from './__testUtils__/waitFor';
import actionPoolModule from '.';

const SLEEP = {
  id: 'debug:sleep',
  description: 'Sleeps',
  examples: [
    { description: 'Sleep 5 s', example: '{"input": {"seconds": 5}}' },
  ],
  schema: {
    input: {
      type: 'object',
      properties: { seconds: { type: 'number' } },
      required: ['seconds'],
    },
    output: { type: 'object', properties: { sleptS: { type: 'number' } } },
  },
  supportsDryRun: true,
  timeoutS: 3660,
  softTimeoutS: 3294,
  maxAttempts: 3,
  queue: 'default',
};

async function startWith(pool: FakePool, config: JsonObject) {
  const actions: TemplateAction<JsonObject, JsonObject>[] = [];
  const logger = mockServices.logger.mock();
  const discovery = mockServices.discovery.mock({
    getBaseUrl: async () => pool.url,
  });
  const backend = await startTestBackend({
    extensionPoints: [
      [
        scaffolderActionsExtensionPoint,
        { addActions: (...added) => actions.push(...added) },
      ],
    ],
    features: [
      actionPoolModule,
      mockServices.rootConfig.factory({ data: { actionpool: config } }),
      logger.factory,
      discovery.factory,
    ],
  });
  const byId = (id: string) => {
    const action = actions.find(a => a.id === id);
    if (!action) throw new Error(`no action ${id}`);
    return action;
  };
  return { backend, actions, logger, discovery, byId };
}

describe('the actionpool module', () => {
  let pool: FakePool;
  let stop: (() => Promise<void>) | undefined;

  beforeEach(async () => {
    pool = await FakePool.start();
  });

  afterEach(async () => {
    await stop?.();
    stop = undefined;
    await pool.close();
  });

  it('registers one scaffolder action per pool action, and actionpool:run', async () => {
    pool.actions = [SLEEP];
    const started = await startWith(pool, { refreshIntervalSeconds: 0 });
    stop = () => started.backend.stop();

    expect(started.actions.map(a => a.id)).toEqual([
      'actionpool:run',
      'actionpool:debug:sleep',
    ]);
    const sleep = started.byId('actionpool:debug:sleep');
    expect(sleep.description).toBe('Sleeps');
    expect(sleep.supportsDryRun).toBe(true);
    expect(sleep.examples?.[0].example).toContain(
      '"action": "actionpool:debug:sleep"',
    );
    expect(sleep.schema).toEqual(SLEEP.schema);
    expect(started.discovery.getBaseUrl).toHaveBeenCalledWith('actionpool');
    expect(pool.requests[0].headers.authorization).toContain(
      '"target":"actionpool"',
    );
  });

  it('runs a pool action through its registered handler', async () => {
    pool.actions = [SLEEP];
    const started = await startWith(pool, {
      actionPrefix: 'pool:',
      refreshIntervalSeconds: 0,
    });
    stop = () => started.backend.stop();
    const { ctx, output } = stepContext({ input: { seconds: 1 } });
    const done = started.byId('pool:debug:sleep').handler(ctx);
    await waitFor(() => pool.runs.size === 1, 'the run');
    pool.onlyRun().start().complete({ sleptS: 1 });
    await done;
    expect(pool.onlyRun().actionId).toBe('debug:sleep');
    expect(output).toHaveBeenCalledWith('sleptS', 1);
  });

  it('starts with only actionpool:run, and a warning, when the pool does not answer', async () => {
    pool.listingDown = true;
    const started = await startWith(pool, {
      baseUrl: pool.url,
      startupTimeoutSeconds: 0.3,
      refreshIntervalSeconds: 0,
    });
    stop = () => started.backend.stop();

    expect(started.actions.map(a => a.id)).toEqual(['actionpool:run']);
    expect(
      pool.requestsTo('GET', /^\/v1\/actions$/).length,
    ).toBeGreaterThanOrEqual(1);
    expect(started.logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(
        new RegExp(
          `${pool.url}/v1/actions within 0.3 s: StoreUnavailableError: Redis is down`,
        ),
      ),
    );
  });

  it("refreshes registered actions' schemas in place, and names actions that need a restart", async () => {
    pool.actions = [SLEEP];
    const started = await startWith(pool, {
      baseUrl: pool.url,
      refreshIntervalSeconds: 0.02,
    });
    stop = () => started.backend.stop();
    const sleep = started.byId('actionpool:debug:sleep');
    const input = {
      type: 'object',
      properties: { seconds: { type: 'integer' } },
    };
    pool.actions = [
      { ...SLEEP, schema: { ...SLEEP.schema, input } },
      { ...SLEEP, id: 'debug:later' },
    ];
    await waitFor(
      () => JSON.stringify(sleep.schema?.input) === JSON.stringify(input),
      'the refresh',
    );
    await waitFor(
      () =>
        started.logger.info.mock.calls.some(c =>
          String(c[0]).includes('debug:later'),
        ),
      'the log',
    );
    expect(started.actions.map(a => a.id)).toEqual([
      'actionpool:run',
      'actionpool:debug:sleep',
    ]);
    expect(started.logger.info).toHaveBeenCalledWith(
      expect.stringContaining(
        'now offers debug:later; scaffolder actions cannot be added',
      ),
    );
  });
});
