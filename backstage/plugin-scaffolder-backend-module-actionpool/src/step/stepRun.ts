/*
 * One execution of a step that runs a pool action: its context, identity, request, whose
 * authority its calls carry, and how its waits are reported.
 */
import type { AuthService } from '@backstage/backend-plugin-api';
import type { ActionContext } from '@backstage/plugin-scaffolder-node';
import type { JsonObject } from '@backstage/types';
import type { PoolClient } from '../pool/client';
import { describeError } from '../pool/errors';
import type { BackoffPolicy } from '../retry';
import { Authority, RetryOptions } from '../retrying';
import { StepIdentity, stepIdentityOf } from './identity';

export type PoolActionContext = ActionContext<JsonObject, JsonObject>;

/** What the step asks the pool to run. */
export interface StepRequest {
  /** The pool's action id (without the scaffolder prefix). */
  actionId: string;
  input: JsonObject;
  /** The owner named by the step (actionpool:run's `owner`), before the template's annotation. */
  owner?: string;
}

export interface StepSettings {
  backoff: BackoffPolicy;
  /** A live event stream silent this long (the pool sends a keep-alive every 15 s) is reopened. */
  idleTimeoutMs: number;
  /** The wait between reads when the pool answers the JSON list instead of a stream. */
  pollIntervalMs: number;
  /** How long a cancelled step waits for its run to end before it gives up waiting. */
  cancelTimeoutMs: number;
}

export const DEFAULT_STEP_SETTINGS: Omit<StepSettings, 'backoff'> = {
  idleTimeoutMs: 60_000,
  pollIntervalMs: 2_000,
  cancelTimeoutMs: 60_000,
};

export interface StepServices {
  client: PoolClient;
  auth: AuthService;
  settings: StepSettings;
}

export class StepRun {
  readonly identity: StepIdentity;
  readonly authority: Authority;
  /** The task's cancellation (a signal that never aborts when the scaffolder gives none). */
  readonly signal: AbortSignal;

  constructor(
    readonly services: StepServices,
    readonly ctx: PoolActionContext,
    readonly request: StepRequest,
  ) {
    this.identity = stepIdentityOf(ctx);
    this.authority = new Authority(
      () => ctx.getInitiatorCredentials(),
      () => services.auth.getOwnServiceCredentials(),
    );
    this.signal = ctx.signal ?? new AbortController().signal;
  }

  /** Retries bounded by the task's cancellation, each wait logged to the task's log. */
  retryOptions(what: string, signal: AbortSignal = this.signal): RetryOptions {
    return {
      backoff: this.services.settings.backoff,
      signal,
      onRetry: (error, delayMs) =>
        this.ctx.logger.warn(
          `${what}: ${describeError(error)}; trying again in ${(
            delayMs / 1000
          ).toFixed(1)} s`,
        ),
    };
  }
}
