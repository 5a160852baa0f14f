/*
 * The smallest Backstage backend that runs a template against actionpool on every route:
 * the catalog (templates, users, groups), the scaffolder with Roadie's http:backstage:request
 * (proxy and direct routes), distributed actions (backend.actions.pluginSources) and the
 * actionpool scaffolder module, the proxy, and guest sign-in. Config: app-config.yaml beside
 * this folder plus an overlay (tests/backstage/app-config.e2e.yaml) given with --config.
 *
 * By hand, with a pool on :8000 (`make dev`) and the actionpool module built (`npm run build`
 * in backstage/plugin-scaffolder-backend-module-actionpool):
 *   npm ci && npx tsc
 *   ACTIONPOOL_URL=http://127.0.0.1:8000 ACTIONPOOL_TOKEN=<a static token> BACKSTAGE_PORT=7007 \
 *   BACKSTAGE_E2E_DIR=$PWD/../../../tests/backstage BACKSTAGE_E2E_TEMPLATES=$PWD/../templates \
 *   NODE_OPTIONS=--no-node-snapshot node dist/index.js \
 *     --config ../app-config.yaml --config ../../../tests/backstage/app-config.e2e.yaml
 * (and on the pool ACTIONPOOL_BACKSTAGE_URL=http://127.0.0.1:7007).
 */
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'));
backend.add(import('@backstage/plugin-proxy-backend'));
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@roadiehq/scaffolder-backend-module-http-request'));
backend.add(import('@actionpool/plugin-scaffolder-backend-module-actionpool'));

backend.start();
