/*
 * The scaffolder module: registers the pool's actions (and actionpool:run) with the
 * scaffolder at start-up, and keeps their schemas up to date.
 */
import {
  AuthService,
  DiscoveryService,
  LifecycleService,
  LoggerService,
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  ScaffolderActionsExtensionPoint,
  scaffolderActionsExtensionPoint,
} from '@backstage/plugin-scaffolder-node';
import { PoolActionCatalog } from './actions/catalog';
import { fetchListingAtStartup } from './actions/listing';
import { startRefreshing } from './actions/refresh';
import { refreshCatalog, templateActionsFor } from './actions/registration';
import { ActionPoolConfig, readActionPoolConfig } from './config';
import { PoolClient } from './pool/client';
import { createPoolConnection } from './pool/http';
import { DEFAULT_BACKOFF } from './retry';
import { DEFAULT_STEP_SETTINGS, StepServices } from './step/stepRun';

function poolClient(
  config: ActionPoolConfig,
  auth: AuthService,
  discovery: DiscoveryService,
): PoolClient {
  const { baseUrl, pluginId } = config;
  const connection = createPoolConnection({
    auth,
    pluginId,
    baseUrl: baseUrl
      ? async () => baseUrl
      : () => discovery.getBaseUrl(pluginId),
  });
  return new PoolClient(connection);
}

/** Lists the pool's actions (within the start-up timeout), registers them, and refreshes. */
async function registerActions(options: {
  config: ActionPoolConfig;
  services: StepServices;
  scaffolder: ScaffolderActionsExtensionPoint;
  lifecycle: LifecycleService;
  logger: LoggerService;
}): Promise<void> {
  const { config, services, scaffolder, lifecycle, logger } = options;
  const source = { client: services.client, auth: services.auth };
  const listing = await fetchListingAtStartup(source, {
    timeoutMs: config.startupTimeoutMs,
    backoff: DEFAULT_BACKOFF,
    logger,
  });
  const catalog = new PoolActionCatalog();
  catalog.update(listing ?? []);
  const registration = {
    catalog,
    services,
    actionPrefix: config.actionPrefix,
    logger,
  };
  const actions = templateActionsFor(registration);
  scaffolder.addActions(...actions);
  logger.info(
    `Registered the scaffolder actions ${actions.map(a => a.id).join(', ')}`,
  );
  const registered = new Set(catalog.ids());
  startRefreshing({
    intervalMs: config.refreshIntervalMs,
    refresh: () => refreshCatalog(registration, source, registered),
    lifecycle,
    logger,
  });
}

export const actionPoolModule = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'actionpool',
  register(env) {
    env.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        auth: coreServices.auth,
        discovery: coreServices.discovery,
        rootConfig: coreServices.rootConfig,
        logger: coreServices.logger,
        lifecycle: coreServices.lifecycle,
      },
      async init({
        scaffolder,
        auth,
        discovery,
        rootConfig,
        logger,
        lifecycle,
      }) {
        const config = readActionPoolConfig(rootConfig);
        const services: StepServices = {
          client: poolClient(config, auth, discovery),
          auth,
          settings: { ...DEFAULT_STEP_SETTINGS, backoff: DEFAULT_BACKOFF },
        };
        await registerActions({
          config,
          services,
          scaffolder,
          lifecycle,
          logger,
        });
      },
    });
  },
});
