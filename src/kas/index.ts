/**
 * `arrowseal/kas`: the key-access gateway (Node only). The HTTP service (`createKasServer`, fastify 5) with its
 * stores on SQLite or PostgreSQL (`openKasStore`), and the modules plugged into it: OIDC + DPoP token
 * authentication (`createOidcAuthenticator`), throttling (`createThrottle`) and anomaly detection
 * (`createAnomalyMonitor`). Readers use `keyAccessClient` from `arrowseal` (core, any runtime).
 *
 * @example
 * ```ts
 * import { createKasServer, openKasStore } from 'arrowseal/kas'
 * import { openAuditLog } from 'arrowseal/store'
 * // const log = await openAuditLog({ sqlite: 'kas.db' }, { origin: 'kas.example/audit', identity: gateway })
 * // const server = await createKasServer({ identity: gateway, log, store: await openKasStore({ sqlite: 'kas.db' }), … })
 * ```
 * @module
 */
export { type AdminAction, signAdminCommand } from './admin-command.js'
export {
  ANOMALY_DEFAULTS,
  createAnomalyMonitor,
  THROTTLED_REASON,
} from './anomaly.js'
export { type DpopProofInput, dpopHeaders, dpopProof } from './dpop.js'
export { KAS_STATUS } from './node/errors.js'
export { createKasServer, type KasServer, type KasServerOptions } from './node/server.js'
export {
  type Access,
  type Entitlement,
  type KasStore,
  type KasStoreOptions,
  openKasStore,
  type Suspension,
} from './node/store.js'
export { createOidcAuthenticator } from './oidc.js'
export { createThrottle, THROTTLE_DEFAULTS } from './throttle.js'
export type * from './types.js'
