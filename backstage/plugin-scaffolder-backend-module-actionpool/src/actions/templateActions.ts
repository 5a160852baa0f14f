/*
 * The scaffolder actions: one per pool action (its definition read from the catalog at each
 * use, so refreshes update it in place) and the generic `actionpool:run`.
 */
import type { TemplateAction } from '@backstage/plugin-scaffolder-node';
import type { JsonObject } from '@backstage/types';
import { InputError } from '@backstage/errors';
import { isJsonObject } from '../pool/parse';
import type { ActionExample } from '../pool/types';
import { executeStep } from '../step/execute';
import type { PoolActionContext, StepServices } from '../step/stepRun';
import type { PoolActionCatalog } from './catalog';

export const GENERIC_ACTION_ID = 'actionpool:run';

export type ActionPoolTemplateAction = TemplateAction<JsonObject, JsonObject>;

/**
 * A pool example (the body of a run's creation, `{"input": {...}}`) as a template step
 * using the scaffolder action; an example of another form is shown as it is.
 */
export function stepExample(
  example: ActionExample,
  scaffolderId: string,
): ActionExample {
  let body: unknown;
  try {
    body = JSON.parse(example.example);
  } catch {
    return example;
  }
  if (!isJsonObject(body) || !isJsonObject(body.input)) {
    return example;
  }
  const step = {
    id: 'run',
    name: example.description,
    action: scaffolderId,
    input: body.input,
  };
  return {
    description: example.description,
    example: JSON.stringify({ steps: [step] }, null, 2),
  };
}

/** The scaffolder action running pool action `poolId`, registered as `scaffolderId`. */
export function poolTemplateAction(options: {
  poolId: string;
  scaffolderId: string;
  catalog: PoolActionCatalog;
  services: StepServices;
}): ActionPoolTemplateAction {
  const { poolId, catalog, services } = options;
  const definition = () => catalog.get(poolId);
  return {
    id: options.scaffolderId,
    get description() {
      return (
        definition()?.description ?? `Runs the actionpool action ${poolId}`
      );
    },
    get examples() {
      return (definition()?.examples ?? []).map(example =>
        stepExample(example, options.scaffolderId),
      );
    },
    get supportsDryRun() {
      return definition()?.supportsDryRun ?? false;
    },
    get schema() {
      const action = definition();
      return (
        action && { input: action.schema.input, output: action.schema.output }
      );
    },
    handler: ctx =>
      executeStep(services, ctx, { actionId: poolId, input: ctx.input }),
  };
}

export interface GenericInput {
  action: string;
  input: JsonObject;
  owner?: string;
}

export const GENERIC_INPUT_SCHEMA: JsonObject = {
  type: 'object',
  required: ['action'],
  additionalProperties: false,
  properties: {
    action: {
      type: 'string',
      title: 'Action',
      description:
        'The pool action to run, e.g. debug:sleep (GET /v1/actions lists them)',
    },
    input: {
      type: 'object',
      title: 'Input',
      description:
        "The action's input, checked by the pool against the action's schema",
    },
    owner: {
      type: 'string',
      title: 'Owner',
      description:
        'The team the run belongs to (default: the template annotation actionpool.io/owner, ' +
        "else the user's only team)",
    },
  },
};

export function parseGenericInput(value: JsonObject): GenericInput {
  const { action, input, owner } = value;
  if (typeof action !== 'string' || action === '') {
    throw new InputError(
      `${GENERIC_ACTION_ID}: input.action must name a pool action`,
    );
  }
  if (input !== undefined && !isJsonObject(input)) {
    throw new InputError(`${GENERIC_ACTION_ID}: input.input must be an object`);
  }
  if (owner !== undefined && typeof owner !== 'string') {
    throw new InputError(`${GENERIC_ACTION_ID}: input.owner must be a string`);
  }
  return { action, input: input ?? {}, owner: owner || undefined };
}

/** `actionpool:run`: any pool action by id, known at start-up or not. */
export function genericRunAction(options: {
  catalog: PoolActionCatalog;
  services: StepServices;
}): ActionPoolTemplateAction {
  const { catalog, services } = options;
  return {
    id: GENERIC_ACTION_ID,
    description:
      'Runs an actionpool action by its id (also one the pool started offering after ' +
      'Backstage started), following its logs until it ends; its output is the step output.',
    examples: [
      {
        description: 'Sleep 5 s on the pool',
        example: JSON.stringify({
          steps: [
            {
              id: 'sleep',
              action: GENERIC_ACTION_ID,
              input: { action: 'debug:sleep', input: { seconds: 5 } },
            },
          ],
        }),
      },
    ],
    supportsDryRun: true,
    schema: { input: GENERIC_INPUT_SCHEMA, output: { type: 'object' } },
    handler: (ctx: PoolActionContext) => {
      const request = parseGenericInput(ctx.input);
      if (ctx.isDryRun && !catalog.get(request.action)?.supportsDryRun) {
        ctx.logger.info(
          `Dry run: ${request.action} is not an actionpool action known to support dry runs; ` +
            'it was not run',
        );
        return Promise.resolve();
      }
      return executeStep(services, ctx, {
        actionId: request.action,
        input: request.input,
        owner: request.owner,
      });
    },
  };
}
