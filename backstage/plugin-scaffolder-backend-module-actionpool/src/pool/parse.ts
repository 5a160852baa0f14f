/*
 * Parsing the pool's JSON answers into typed values. Anything that is not what the API
 * documents is a MalformedPoolResponseError naming the field and what it held (its type,
 * never its text), never a value read blindly.
 */
import type { JsonObject, JsonValue } from '@backstage/types';
import {
  ActionExample,
  ErrorInfo,
  PoolAction,
  RUN_STATUSES,
  Run,
  RunEvent,
  RunStatus,
} from './types';

export class MalformedPoolResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedPoolResponseError';
  }
}

/**
 * What a value is, never what it says: an answer may hold a run's input or output, which
 * has no place in an error message (nor in the logs that keep it).
 */
export function kindOf(value: unknown): string {
  if (value === undefined) {
    return 'nothing';
  }
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function fail(where: string, expected: string, value: unknown): never {
  throw new MalformedPoolResponseError(
    `${where}: expected ${expected}, got ${kindOf(value)}`,
  );
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function object(value: unknown, where: string): JsonObject {
  return isJsonObject(value) ? value : fail(where, 'an object', value);
}

function array(value: unknown, where: string): JsonValue[] {
  return Array.isArray(value) ? value : fail(where, 'an array', value);
}

function string(value: unknown, where: string): string {
  return typeof value === 'string' ? value : fail(where, 'a string', value);
}

function number(value: unknown, where: string): number {
  return typeof value === 'number' && Number.isFinite(value)
    ? value
    : fail(where, 'a number', value);
}

function boolean(value: unknown, where: string): boolean {
  return typeof value === 'boolean' ? value : fail(where, 'a boolean', value);
}

function nullableObject(value: unknown, where: string): JsonObject | null {
  return value === null || value === undefined ? null : object(value, where);
}

export function parseErrorInfo(value: unknown, where: string): ErrorInfo {
  const data = object(value, where);
  return {
    name: string(data.name, `${where}.name`),
    message: string(data.message, `${where}.message`),
  };
}

function parseExample(value: unknown, where: string): ActionExample {
  const data = object(value, where);
  return {
    description: string(data.description, `${where}.description`),
    example: string(data.example, `${where}.example`),
  };
}

export function parsePoolAction(value: unknown, where = 'action'): PoolAction {
  const data = object(value, where);
  const schema = object(data.schema, `${where}.schema`);
  return {
    id: string(data.id, `${where}.id`),
    description: string(data.description, `${where}.description`),
    examples: array(data.examples ?? [], `${where}.examples`).map((e, i) =>
      parseExample(e, `${where}.examples[${i}]`),
    ),
    schema: {
      input: object(schema.input, `${where}.schema.input`),
      output: object(schema.output, `${where}.schema.output`),
    },
    supportsDryRun: boolean(data.supportsDryRun, `${where}.supportsDryRun`),
    timeoutS: number(data.timeoutS, `${where}.timeoutS`),
    softTimeoutS: number(data.softTimeoutS, `${where}.softTimeoutS`),
    maxAttempts: number(data.maxAttempts, `${where}.maxAttempts`),
    queue: string(data.queue, `${where}.queue`),
  };
}

export function parseActionList(value: unknown): PoolAction[] {
  return array(value, 'actions').map((a, i) =>
    parsePoolAction(a, `actions[${i}]`),
  );
}

function parseStatus(value: unknown, where: string): RunStatus {
  const text = string(value, where);
  const status = RUN_STATUSES.find(s => s === text);
  if (status === undefined) {
    throw new MalformedPoolResponseError(
      `${where}: expected one of ${RUN_STATUSES.join(
        ', ',
      )}, got another string`,
    );
  }
  return status;
}

export function parseRun(value: unknown, where = 'run'): Run {
  const data = object(value, where);
  const links = object(data.links, `${where}.links`);
  return {
    id: string(data.id, `${where}.id`),
    actionId: string(data.actionId, `${where}.actionId`),
    status: parseStatus(data.status, `${where}.status`),
    output: nullableObject(data.output, `${where}.output`),
    error:
      data.error === null || data.error === undefined
        ? null
        : parseErrorInfo(data.error, `${where}.error`),
    attempt: number(data.attempt ?? 0, `${where}.attempt`),
    maxAttempts: number(data.maxAttempts, `${where}.maxAttempts`),
    links: {
      self: string(links.self, `${where}.links.self`),
      events: string(links.events, `${where}.links.events`),
    },
  };
}

export function parseRunEvent(value: unknown, where = 'event'): RunEvent {
  const data = object(value, where);
  return {
    id: number(data.id, `${where}.id`),
    runId: string(data.runId, `${where}.runId`),
    type: string(data.type, `${where}.type`),
    body: object(data.body, `${where}.body`),
    createdAt: string(data.createdAt, `${where}.createdAt`),
  };
}

export function parseRunEvents(value: unknown): RunEvent[] {
  return array(value, 'events').map((e, i) => parseRunEvent(e, `events[${i}]`));
}

/** The `error` of Backstage's error body, when the body is one. */
export function errorOfBody(value: unknown): ErrorInfo | undefined {
  if (!isJsonObject(value)) {
    return undefined;
  }
  try {
    return parseErrorInfo(value.error, 'error');
  } catch {
    return undefined;
  }
}

/** A log event's message (`body.message`), when it has one. */
export function logMessageOf(event: RunEvent): string | undefined {
  const message = event.body.message;
  return typeof message === 'string' ? message : undefined;
}
