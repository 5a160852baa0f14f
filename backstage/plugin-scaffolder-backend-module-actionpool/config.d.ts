export interface Config {
  /**
   * The actionpool scaffolder module: runs the pool's actions as scaffolder actions.
   */
  actionpool?: {
    /**
     * The pool API's base URL, without `/v1` (for example `http://actionpool-api:8000`).
     * Defaults to what the discovery service answers for `pluginId`.
     */
    baseUrl?: string;
    /**
     * The pool's Backstage plugin id: the audience (`targetPluginId`) of the plugin tokens
     * the module sends, and the id asked of the discovery service when `baseUrl` is not set.
     * Defaults to `actionpool`.
     */
    pluginId?: string;
    /**
     * Prefix of the scaffolder action ids: the pool action `debug:sleep` is registered as
     * `${actionPrefix}debug:sleep`. Defaults to `actionpool:`.
     */
    actionPrefix?: string;
    /**
     * How often the pool's action listing is fetched again to update the schemas of the
     * registered actions, in seconds. Defaults to 300; 0 turns refreshing off.
     */
    refreshIntervalSeconds?: number;
    /**
     * How long start-up waits for the pool's action listing (retrying meanwhile) before it
     * registers only `actionpool:run`, in seconds. Defaults to 15.
     */
    startupTimeoutSeconds?: number;
  };
}
