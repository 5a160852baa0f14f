/*
 * The module's configuration (`actionpool.*`, see config.d.ts), read once at start-up.
 */
import type { RootConfigService } from '@backstage/backend-plugin-api';

export interface ActionPoolConfig {
  /** The pool API's root URL; undefined: ask the discovery service for `pluginId`. */
  baseUrl?: string;
  /** The pool's plugin id: the plugin tokens' audience and the discovery id. */
  pluginId: string;
  /** Prepended to each pool action id to make its scaffolder action id. */
  actionPrefix: string;
  /** 0: no refreshing. */
  refreshIntervalMs: number;
  startupTimeoutMs: number;
}

export const DEFAULTS = {
  pluginId: 'actionpool',
  actionPrefix: 'actionpool:',
  refreshIntervalSeconds: 300,
  startupTimeoutSeconds: 15,
};

export function readActionPoolConfig(
  root: RootConfigService,
): ActionPoolConfig {
  const config = root.getOptionalConfig('actionpool');
  const baseUrl = config?.getOptionalString('baseUrl')?.trim();
  return {
    baseUrl: baseUrl ? baseUrl.replace(/\/+$/, '') : undefined,
    pluginId: config?.getOptionalString('pluginId') ?? DEFAULTS.pluginId,
    actionPrefix:
      config?.getOptionalString('actionPrefix') ?? DEFAULTS.actionPrefix,
    refreshIntervalMs: seconds(
      config?.getOptionalNumber('refreshIntervalSeconds'),
      DEFAULTS.refreshIntervalSeconds,
      'actionpool.refreshIntervalSeconds',
    ),
    startupTimeoutMs: seconds(
      config?.getOptionalNumber('startupTimeoutSeconds'),
      DEFAULTS.startupTimeoutSeconds,
      'actionpool.startupTimeoutSeconds',
    ),
  };
}

function seconds(
  value: number | undefined,
  fallback: number,
  key: string,
): number {
  const chosen = value ?? fallback;
  if (!Number.isFinite(chosen) || chosen < 0) {
    throw new Error(
      `Invalid config: ${key} must be a number of seconds >= 0, got ${value}`,
    );
  }
  return Math.round(chosen * 1000);
}
