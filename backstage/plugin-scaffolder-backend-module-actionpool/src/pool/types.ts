/*
 * The pool's HTTP API v1 as typed values (see the pool's docs/http-api.md). Every value the
 * pool answers is parsed into one of these by `./parse` before anything reads it.
 */
import type { JsonObject } from '@backstage/types';

/** Backstage's task status vocabulary, as the pool uses it for runs. */
export type RunStatus =
  | 'open'
  | 'processing'
  | 'completed'
  | 'failed'
  | 'cancelled';

export const RUN_STATUSES: readonly RunStatus[] = [
  'open',
  'processing',
  'completed',
  'failed',
  'cancelled',
];

/** An error as Backstage shows it. */
export interface ErrorInfo {
  name: string;
  message: string;
}

export interface ActionExample {
  description: string;
  example: string;
}

/** An entry of `GET /v1/actions`. */
export interface PoolAction {
  id: string;
  description: string;
  examples: ActionExample[];
  schema: { input: JsonObject; output: JsonObject };
  supportsDryRun: boolean;
  timeoutS: number;
  softTimeoutS: number;
  maxAttempts: number;
  queue: string;
}

/** The run resource (`GET /v1/runs/{id}`), with the fields this module reads. */
export interface Run {
  id: string;
  actionId: string;
  status: RunStatus;
  output: JsonObject | null;
  error: ErrorInfo | null;
  attempt: number;
  maxAttempts: number;
  links: { self: string; events: string };
}

/** A run event, in Backstage's task event shape. */
export interface RunEvent {
  id: number;
  runId: string;
  type: string;
  body: JsonObject;
  createdAt: string;
}

/**
 * `context` of a run's creation: where it comes from in Backstage. (Its `userRef` is never
 * sent: the pool takes the run's user from the verified token.)
 */
export interface RunContext {
  templateRef?: string;
  owner?: string;
  taskId?: string;
  stepId?: string;
}

/** The body of `POST /v1/actions/{actionId}/runs`. */
export interface CreateRunBody {
  input: JsonObject;
  idempotencyKey: string;
  context: RunContext;
  user?: { ref?: string; entity?: JsonObject };
  secrets: Record<string, string>;
  dryRun: boolean;
}

/** What a creation answered: the run, and whether it already held the key (a replay). */
export interface CreatedRun {
  run: Run;
  replayed: boolean;
}

export function isEnded(status: RunStatus): boolean {
  return (
    status === 'completed' || status === 'failed' || status === 'cancelled'
  );
}

export function isUnsuccessful(status: RunStatus): boolean {
  return status === 'failed' || status === 'cancelled';
}

/** Event types after which a run's stream ends. */
export function isTerminalEvent(event: RunEvent): boolean {
  return event.type === 'completion' || event.type === 'cancelled';
}
