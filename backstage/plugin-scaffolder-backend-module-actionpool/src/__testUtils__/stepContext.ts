/*
 * An ActionContext for one execution of a step (Backstage's mock, plus the step id, a task
 * signal and checkpoints kept across executions as the scaffolder keeps them in task state).
 */
import { mockServices } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import type { JsonObject, JsonValue } from '@backstage/types';
import { PoolClient } from '../pool/client';
import { createPoolConnection } from '../pool/http';
import type { PoolActionContext, StepServices } from '../step/stepRun';

/** The task state the scaffolder keeps between executions of a step (retry, recovery). */
export class Checkpoints {
  readonly values = new Map<string, JsonValue>();

  checkpoint = async <T extends JsonValue | void>(opts: {
    key: string;
    fn: () => Promise<T> | T;
  }): Promise<T> => {
    if (this.values.has(opts.key)) {
      return this.values.get(opts.key) as T;
    }
    const value = await opts.fn();
    this.values.set(opts.key, value ?? {});
    return value;
  };
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
    checkpoint: (options.checkpoints ?? new Checkpoints()).checkpoint,
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
