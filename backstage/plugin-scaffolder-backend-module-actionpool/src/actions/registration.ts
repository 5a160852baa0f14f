/*
 * Which scaffolder actions the module registers, and what a refresh of the listing changes.
 */
import type { LoggerService } from '@backstage/backend-plugin-api';
import type { StepServices } from '../step/stepRun';
import type { PoolActionCatalog } from './catalog';
import { fetchListing, ListingSource } from './listing';
import {
  ActionPoolTemplateAction,
  GENERIC_ACTION_ID,
  genericRunAction,
  poolTemplateAction,
} from './templateActions';

export interface Registration {
  catalog: PoolActionCatalog;
  services: StepServices;
  actionPrefix: string;
  logger: LoggerService;
}

/** `actionpool:run`, and one action per pool action in the catalog (prefixed ids). */
export function templateActionsFor(
  registration: Registration,
): ActionPoolTemplateAction[] {
  const { catalog, services, actionPrefix, logger } = registration;
  const actions = [genericRunAction({ catalog, services })];
  for (const poolId of catalog.ids()) {
    const scaffolderId = `${actionPrefix}${poolId}`;
    if (scaffolderId === GENERIC_ACTION_ID) {
      logger.warn(
        `The pool action ${poolId} is not registered: its id would be ${scaffolderId}`,
      );
      continue;
    }
    actions.push(
      poolTemplateAction({ poolId, scaffolderId, catalog, services }),
    );
  }
  return actions;
}

/** Fetches the listing again and updates the catalog; logs what cannot change in place. */
export async function refreshCatalog(
  registration: Registration,
  source: ListingSource,
  registered: ReadonlySet<string>,
): Promise<void> {
  const { catalog, logger, actionPrefix } = registration;
  const change = catalog.update(await fetchListing(source));
  const unregistered = change.added.filter(id => !registered.has(id));
  if (unregistered.length > 0) {
    logger.info(
      `The actionpool now offers ${unregistered.join(
        ', ',
      )}; scaffolder actions cannot be ` +
        `added while Backstage runs: restart it to register them as ${actionPrefix}<id>, or ` +
        `use ${GENERIC_ACTION_ID} with input.action meanwhile`,
    );
  }
  if (change.removed.length > 0) {
    logger.warn(`The actionpool no longer offers ${change.removed.join(', ')}`);
  }
  if (change.changed.length > 0) {
    logger.info(`Updated the actionpool actions ${change.changed.join(', ')}`);
  }
}
