/*
 * What a step sends to create its run: the input, where it comes from in Backstage (task,
 * step, template, user, owner), the task's secrets meant for actions, and dry-run. Members
 * left undefined are not sent (JSON has no undefined).
 */
import type { JsonObject } from '@backstage/types';
import { isJsonObject } from '../pool/parse';
import type { CreateRunBody, RunContext } from '../pool/types';
import type { StepIdentity } from './identity';

/** The template annotation naming the owner (team) a template's runs belong to. */
export const OWNER_ANNOTATION = 'actionpool.io/owner';

/** Task secrets that are the scaffolder's own and never leave Backstage. */
const SCAFFOLDER_SECRET = 'backstageToken';

/** What of an ActionContext the request is made from. */
export interface RequestContext {
  secrets?: Record<string, string>;
  templateInfo?: {
    entityRef: string;
    entity?: { metadata: { annotations?: Record<string, string> } };
  };
  user?: { ref?: string; entity?: object };
  isDryRun?: boolean;
}

/** The run's owner: the one named (actionpool:run's `owner`), else the template's annotation. */
export function ownerOf(
  named: string | undefined,
  ctx: RequestContext,
): string | undefined {
  if (named) {
    return named;
  }
  const annotated =
    ctx.templateInfo?.entity?.metadata?.annotations?.[OWNER_ANNOTATION];
  return annotated || undefined;
}

/** The task's secrets except the scaffolder's own (`backstageToken`, keys starting `__`). */
export function forwardedSecrets(
  secrets?: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(secrets ?? {}).filter(
      ([name, value]) =>
        name !== SCAFFOLDER_SECRET &&
        !name.startsWith('__') &&
        typeof value === 'string',
    ),
  );
}

/**
 * The run's `context`. No `userRef`: the pool takes the run's user from the verified token,
 * and refuses (403) a `userRef` that is not the token's user, which a retry by another user
 * than the task's creator would send.
 */
export function runContextOf(
  identity: StepIdentity,
  ctx: RequestContext,
  owner: string | undefined,
): RunContext {
  return {
    taskId: identity.taskId,
    stepId: identity.stepId,
    templateRef: ctx.templateInfo?.entityRef,
    owner,
  };
}

/**
 * Backstage's `${{ user }}`: its ref and catalog entity (as plain JSON). The pool counts the
 * entity's groups as the user's teams only when the ref is the token's own user.
 */
function userOf(ctx: RequestContext): CreateRunBody['user'] {
  if (!ctx.user) {
    return undefined;
  }
  const entity: unknown =
    ctx.user.entity && JSON.parse(JSON.stringify(ctx.user.entity));
  return {
    ref: ctx.user.ref,
    entity: isJsonObject(entity) ? entity : undefined,
  };
}

export function createRunBody(options: {
  identity: StepIdentity;
  ctx: RequestContext;
  input: JsonObject;
  idempotencyKey: string;
  owner: string | undefined;
}): CreateRunBody {
  const { identity, ctx } = options;
  return {
    input: options.input,
    idempotencyKey: options.idempotencyKey,
    context: runContextOf(identity, ctx, options.owner),
    user: userOf(ctx),
    secrets: forwardedSecrets(ctx.secrets),
    dryRun: Boolean(ctx.isDryRun),
  };
}
