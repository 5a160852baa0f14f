import { mockServices } from '@backstage/backend-test-utils';
import { readActionPoolConfig } from './config';

const read = (actionpool?: object) =>
  readActionPoolConfig(
    mockServices.rootConfig({ data: actionpool ? { actionpool } : {} }),
  );

describe('readActionPoolConfig', () => {
  it('has defaults for everything', () => {
    expect(read()).toEqual({
      baseUrl: undefined,
      pluginId: 'actionpool',
      actionPrefix: 'actionpool:',
      refreshIntervalMs: 300_000,
      startupTimeoutMs: 15_000,
    });
  });

  it('reads each setting', () => {
    expect(
      read({
        baseUrl: 'http://pool:8000/',
        pluginId: 'pool',
        actionPrefix: 'pool:',
        refreshIntervalSeconds: 0,
        startupTimeoutSeconds: 2.5,
      }),
    ).toEqual({
      baseUrl: 'http://pool:8000',
      pluginId: 'pool',
      actionPrefix: 'pool:',
      refreshIntervalMs: 0,
      startupTimeoutMs: 2500,
    });
  });

  it('refuses negative durations', () => {
    expect(() => read({ startupTimeoutSeconds: -1 })).toThrow(
      'Invalid config: actionpool.startupTimeoutSeconds must be a number of seconds >= 0, got -1',
    );
  });
});
