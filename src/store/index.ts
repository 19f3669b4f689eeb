/**
 * `arrowseal/store`: the audit log's durable stores (Node only). One interface, two backends: an embedded SQLite
 * file (better-sqlite3 12, WAL, `synchronous=FULL`) and PostgreSQL (`pg`) for replicas sharing one log. Both
 * drivers are optional peer dependencies: install the one you use.
 *
 * @example
 * ```ts
 * import { generateIdentity } from 'arrowseal'
 * import { openAuditLog } from 'arrowseal/store'
 * const identity = await generateIdentity()
 * const log = await openAuditLog({ sqlite: 'audit.db' }, { origin: 'example.com/audit', identity })
 * const { index } = await log.append(new TextEncoder().encode('event'))
 * const checkpoint = await log.checkpoint()
 * await log.close()
 * ```
 * @module
 */
export { StoreError } from '../errors.js'
export { MAX_ENTRY_BYTES } from './backend.js'
export { parseStoreLocation } from './location.js'
export { AuditLog, type AuditLogOptions, openAuditLog, type StoreLocation, type VerifyReport } from './log.js'
