/*
 * An ActionContext for one execution of a step (Backstage's mock, plus the step id, a task
 * signal and checkpoints kept across executions as the scaffolder keeps them in task state).
 * Its logger is the execution's own: the calls of an `each` step share it.
 */
import { mockServices } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import type { JsonObject, JsonValue } from '@backstage/types';
import { PoolClient } from '../pool/client';
import { createPoolConnection } from '../pool/http';
import type { PoolActionContext, StepServices } from '../step/stepRun';

export type CheckpointFn = PoolActionContext['checkpoint'];

/**
 * The checkpoints of a task state, as Backstage 1.45's scaffolder keeps them between
 * executions of a step (retry, recovery): `values` holds the `success` ones, `failed` the
 * reasons of the `failed` ones. Each execution reads the state once, before it calls the
 * action (`forExecution`); a checkpoint whose key is `success` (and its value truthy) in that
 * snapshot answers the stored value without calling `fn`; any other calls `fn` and stores
 * its result (`failed` when it throws), also when this same execution stored it already: a
 * checkpoint written in an execution is only seen by later executions.
 */
export class Checkpoints {
  readonly values = new Map<string, JsonValue>();
  readonly failed = new Map<string, string>();

  forExecution(): CheckpointFn {
    const snapshot = new Map(this.values);
    return async <T extends JsonValue | void>(opts: {
      key: string;
      fn: () => Promise<T> | T;
    }): Promise<T> => {
      const previous = snapshot.get(opts.key);
      if (previous) {
        return previous as T;
      }
      try {
        const value = await opts.fn();
        this.failed.delete(opts.key);
        this.values.set(opts.key, value ?? {});
        return value;
      } catch (error) {
        this.values.delete(opts.key);
        this.failed.set(opts.key, String(error));
        throw error;
      }
    };
  }
}

export interface StepContextOptions {
  input?: JsonObject;
  checkpoints?: Checkpoints;
  signal?: AbortSignal;
  secrets?: Record<string, string>;
  templateInfo?: PoolActionContext['templateInfo'];
  user?: PoolActionContext['user'];
  isDryRun?: boolean;
  taskId?: string;
  stepId?: string;
}

export function stepContext(options: StepContextOptions = {}) {
  const logger = mockServices.logger.mock();
  const output = jest.fn();
  const ctx: PoolActionContext = {
    ...createMockActionContext<JsonObject, JsonObject>({
      input: options.input ?? {},
      logger,
      secrets: options.secrets,
      templateInfo: options.templateInfo,
      user: options.user,
      task: { id: options.taskId ?? 'task-1' },
      // set, so that the mock makes no temporary directory (nothing here writes to it)
      workspacePath: '/nonexistent/actionpool-test-workspace',
    }),
    output,
    step: { id: options.stepId ?? 'provision', name: 'Provision' },
    signal: options.signal,
    isDryRun: options.isDryRun,
    // one execution of the step: its checkpoints read the task state once, as now
    checkpoint: (options.checkpoints ?? new Checkpoints()).forExecution(),
  };
  const lines = () => logger.info.mock.calls.map(call => String(call[0]));
  return { ctx, logger, output, lines };
}

export const FAST_SETTINGS: StepServices['settings'] = {
  backoff: { initialDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 50 },
  idleTimeoutMs: 3000,
  pollIntervalMs: 10,
  cancelTimeoutMs: 3000,
};

/** Services calling the pool at `url` with Backstage's mock auth. */
export function testServices(
  url: string,
  settings = FAST_SETTINGS,
): StepServices {
  const auth = mockServices.auth({ pluginId: 'scaffolder' });
  const client = new PoolClient(
    createPoolConnection({
      auth,
      pluginId: 'actionpool',
      baseUrl: async () => url,
    }),
  );
  return { client, auth, settings };
}
