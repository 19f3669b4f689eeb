/**
 * The gateway's decision state: entitlements (principal → role per dataset, with a validity window),
 * suspensions, and the nonces of requests already seen. It lives next to the audit log (same SQLite file or same
 * PostgreSQL database and schema, tables prefixed `kas_`), so replicas over one database share it and every
 * request reads the current state: a revocation committed by one replica holds at the next request on all.
 * @module
 */
import { createRequire } from 'node:module'
import type BetterSqlite3 from 'better-sqlite3'
import type Pg from 'pg'
import { StoreError } from '../../errors.js'
import type { StoreLocation } from '../../store/log.js'
import { PG_SCHEMA_RE } from '../../store/schema.js'
import { loadBetterSqlite3 } from '../../store/sqlite.js'
import type { PrincipalName } from '../types.js'
import { batchedNonces } from './nonce-batch.js'

/** One entitlement: `principal` may read `role` of `dataset` (`*`: every dataset) from `notBefore` to `notAfter`. */
export interface Entitlement {
  readonly principal: PrincipalName
  readonly role: string
  readonly dataset: string
  /** Milliseconds since the Unix epoch; 0 = always. */
  readonly notBefore: number
  /** Milliseconds since the Unix epoch; null = no end. */
  readonly notAfter: number | null
}

/** A suspended principal. */
export interface Suspension {
  readonly principal: PrincipalName
  readonly since: number
  readonly reason: string
}

/**
 * A principal's standing for one dataset, read at once ({@link KasStore.access}).
 *
 * @example
 * ```ts
 * const { suspended, roles } = await store.access!('key:' + fingerprintHex, 'sales', Date.now())
 * ```
 */
export interface Access {
  readonly suspended: boolean
  readonly roles: Set<string>
}

/** The gateway's store. Every write is durable when its promise resolves. */
export interface KasStore {
  readonly kind: 'sqlite' | 'postgres'
  /** Records a nonce until `expires` (ms); false if it was already recorded (a replay). */
  useNonce(nonce: Uint8Array, expires: number, now: number): Promise<boolean>
  /** The roles `principal` holds for `dataset` at `now`. */
  rolesOf(principal: PrincipalName, dataset: string, now: number): Promise<Set<string>>
  grant(e: Entitlement): Promise<void>
  /** Removes the entitlement; true if one existed. */
  revoke(principal: PrincipalName, role: string, dataset: string): Promise<boolean>
  list(principal?: PrincipalName): Promise<Entitlement[]>
  suspend(principal: PrincipalName, reason: string, now: number): Promise<void>
  unsuspend(principal: PrincipalName): Promise<boolean>
  suspension(principal: PrincipalName): Promise<Suspension | null>
  /**
   * Optional: {@link suspension} and {@link rolesOf} in one read (one round trip on PostgreSQL), both as of the
   * same moment. The gateway uses it where present.
   */
  access?(principal: PrincipalName, dataset: string, now: number): Promise<Access>
  suspensions(): Promise<Suspension[]>
  /** A cheap query, for /readyz. */
  ping(): Promise<void>
  close(): Promise<void>
}

const SQLITE_DDL = `
CREATE TABLE IF NOT EXISTS kas_entitlements (
  principal TEXT NOT NULL, role TEXT NOT NULL, dataset TEXT NOT NULL,
  not_before INTEGER NOT NULL, not_after INTEGER,
  PRIMARY KEY (principal, dataset, role)
);
CREATE TABLE IF NOT EXISTS kas_suspensions (principal TEXT PRIMARY KEY, since INTEGER NOT NULL, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kas_nonces (nonce BLOB PRIMARY KEY, expires INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS kas_nonces_expires ON kas_nonces (expires);
`

/** How often expired nonces are swept (every N inserts), so the table stays the size of one time window. */
const SWEEP_EVERY = 1024

/**
 * Options of {@link openKasStore}.
 *
 * @example
 * ```ts
 * // The audit log in the same file, as `kas serve` opens them:
 * const store = await openKasStore({ sqlite: 'kas.db' }, { nonceSync: 'with-log' })
 * ```
 */
export interface KasStoreOptions {
  /**
   * `'full'` (default): every nonce batch is flushed to disk before `useNonce` resolves. `'with-log'`: nonce
   * commits skip that wait and become durable with the next audit-log append, which must be in **the same SQLite
   * file or on the same PostgreSQL server** (`kas serve` opens both at one location): every answer but a throttled
   * one waits for such an append, whose flush (SQLite: fsync of the WAL; PostgreSQL: the WAL up to its commit)
   * covers the earlier nonce records. Saves a 2 ms event-loop stall (SQLite) or a flush wait (PostgreSQL) per
   * batch.
   */
  readonly nonceSync?: 'full' | 'with-log'
}

/**
 * Opens (creating the tables if needed) the gateway's store at the audit log's location.
 *
 * @example
 * ```ts
 * const store = await openKasStore({ sqlite: 'kas.db' })
 * ```
 */
export async function openKasStore(location: StoreLocation, options: KasStoreOptions = {}): Promise<KasStore> {
  if ('sqlite' in location) return openSqlite(location.sqlite, options.nonceSync ?? 'full')
  const schema = location.schema ?? 'arrowseal_audit'
  if (!PG_SCHEMA_RE.test(schema)) throw new RangeError('"schema" must be a lower-case SQL identifier')
  return openPostgres(location.postgres, schema, options.nonceSync ?? 'full')
}

function row(r: { principal: string; role: string; dataset: string; not_before: unknown; not_after: unknown }) {
  return {
    principal: r.principal,
    role: r.role,
    dataset: r.dataset,
    notBefore: Number(r.not_before),
    notAfter: r.not_after === null ? null : Number(r.not_after),
  }
}

function openSqlite(path: string, nonceSync: 'full' | 'with-log'): KasStore {
  const Driver = loadBetterSqlite3()
  let db: BetterSqlite3.Database
  try {
    db = new Driver(path)
    db.pragma('busy_timeout = 10000')
    db.pragma('journal_mode = WAL')
    // Durable before the answer: a nonce or a revocation must survive a crash of the machine.
    db.pragma('synchronous = FULL')
    db.exec(SQLITE_DDL)
  } catch (err) {
    throw new StoreError('STORE_UNAVAILABLE', `cannot open the gateway store ${path}`, { cause: err })
  }
  // With 'with-log', nonces go through a second connection with synchronous=NORMAL: its commits skip the fsync
  // (2 ms on a disk, blocking the event loop, once per batch). They are still durable before any answer that needs
  // them: every grant and every audited refusal waits for its audit entry's append, committed after the nonce's
  // in the same file and then made durable by an fsync of the one WAL file, which persists all earlier frames,
  // this nonce's included. Only a throttled request (answered without an audit entry) can lose its nonce in a machine crash;
  // replayed, it meets a fresh decision (throttled, or audited). A process crash loses nothing.
  let nonceDb: BetterSqlite3.Database
  try {
    nonceDb = new Driver(path)
    nonceDb.pragma('busy_timeout = 10000')
    nonceDb.pragma(nonceSync === 'with-log' ? 'synchronous = NORMAL' : 'synchronous = FULL')
  } catch (err) {
    db.close()
    throw new StoreError('STORE_UNAVAILABLE', `cannot open the gateway store ${path}`, { cause: err })
  }
  const insertNonce = nonceDb.prepare('INSERT OR IGNORE INTO kas_nonces (nonce, expires) VALUES (?, ?)')
  const sweep = nonceDb.prepare('DELETE FROM kas_nonces WHERE expires < ?')
  const roles = db.prepare(
    `SELECT role FROM kas_entitlements WHERE principal = ? AND (dataset = ? OR dataset = '*')
     AND not_before <= ? AND (not_after IS NULL OR not_after > ?)`,
  )
  const upsert = db.prepare(
    `INSERT INTO kas_entitlements (principal, role, dataset, not_before, not_after) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (principal, dataset, role) DO UPDATE SET not_before = excluded.not_before, not_after = excluded.not_after`,
  )
  const del = db.prepare('DELETE FROM kas_entitlements WHERE principal = ? AND role = ? AND dataset = ?')
  const listAll = db.prepare('SELECT * FROM kas_entitlements ORDER BY principal, dataset, role')
  const listOne = db.prepare('SELECT * FROM kas_entitlements WHERE principal = ? ORDER BY dataset, role')
  const susp = db.prepare(
    'INSERT INTO kas_suspensions (principal, since, reason) VALUES (?, ?, ?) ON CONFLICT (principal) DO NOTHING',
  )
  const unsusp = db.prepare('DELETE FROM kas_suspensions WHERE principal = ?')
  const getSusp = db.prepare('SELECT * FROM kas_suspensions WHERE principal = ?')
  const allSusp = db.prepare('SELECT * FROM kas_suspensions ORDER BY principal')
  let inserts = 0
  // One IMMEDIATE transaction per batch of nonces; the sweep rides along every SWEEP_EVERY inserts.
  const recordNonces = nonceDb
    .transaction((claims: readonly { nonce: Uint8Array; expires: number; now: number }[]) => {
      const fresh = claims.map((c) => insertNonce.run(Buffer.from(c.nonce), c.expires).changes === 1)
      inserts += claims.length
      if (inserts >= SWEEP_EVERY) {
        inserts = 0
        sweep.run(claims[claims.length - 1]!.now)
      }
      return fresh
    })
    .immediate.bind(null)
  const wrap = <T>(what: string, fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn())
    } catch (err) {
      return Promise.reject(new StoreError('STORE_UNAVAILABLE', `gateway store: ${what} failed`, { cause: err }))
    }
  }
  type SuspRow = { principal: string; since: number; reason: string }
  return {
    kind: 'sqlite',
    useNonce: batchedNonces((claims) => wrap('nonce', () => recordNonces(claims))),
    rolesOf: (principal, dataset, now) =>
      wrap(
        'entitlements',
        () => new Set((roles.all(principal, dataset, now, now) as { role: string }[]).map((r) => r.role)),
      ),
    grant: (e) => wrap('grant', () => void upsert.run(e.principal, e.role, e.dataset, e.notBefore, e.notAfter)),
    revoke: (p, r, d) => wrap('revoke', () => del.run(p, r, d).changes > 0),
    list: (p) =>
      wrap('list', () => ((p === undefined ? listAll.all() : listOne.all(p)) as Parameters<typeof row>[0][]).map(row)),
    suspend: (p, reason, now) => wrap('suspend', () => void susp.run(p, now, reason)),
    unsuspend: (p) => wrap('unsuspend', () => unsusp.run(p).changes > 0),
    suspension: (p) => wrap('suspension', () => (getSusp.get(p) as SuspRow | undefined) ?? null),
    // Two statements, but synchronous: nothing runs between them, so they see one state of the file.
    access: (p, dataset, now) =>
      wrap('access', () => ({
        suspended: getSusp.get(p) !== undefined,
        roles: new Set((roles.all(p, dataset, now, now) as { role: string }[]).map((r) => r.role)),
      })),
    suspensions: () => wrap('suspensions', () => allSusp.all() as SuspRow[]),
    ping: () => wrap('ping', () => void db.prepare('SELECT 1').get()),
    close: async () => {
      nonceDb.close()
      db.close()
    },
  }
}

async function openPostgres(url: string, schema: string, nonceSync: 'full' | 'with-log'): Promise<KasStore> {
  let pg: typeof Pg
  try {
    pg = createRequire(import.meta.url)('pg') as typeof Pg
  } catch (err) {
    throw new StoreError('STORE_UNAVAILABLE', 'the "pg" package (8.x) is not installed', { cause: err })
  }
  // synchronous_commit on: a nonce or a revocation is acknowledged only once its WAL record is flushed.
  const pool = new pg.Pool({
    connectionString: url,
    max: 8,
    connectionTimeoutMillis: 10_000,
    options: '-c synchronous_commit=on',
  })
  pool.on('error', () => {})
  // With 'with-log', nonces go through their own connection at synchronous_commit=off: the insert returns without
  // waiting for its WAL flush. It is durable before any answer that needs it all the same: every grant and audited
  // refusal waits for its audit append's synchronous commit on the same server, made after the nonce's, and a WAL
  // flush covers every earlier record. (Batches run one at a time, so one connection is enough.)
  const noncePool =
    nonceSync === 'with-log'
      ? new pg.Pool({
          connectionString: url,
          max: 1,
          connectionTimeoutMillis: 10_000,
          options: '-c synchronous_commit=off',
        })
      : pool
  if (noncePool !== pool) noncePool.on('error', () => {})
  const s = schema
  const q = async (sql: string, params: unknown[], what: string, via: Pg.Pool = pool) => {
    try {
      return await via.query(sql, params)
    } catch (err) {
      // Never the connection string: it may hold a password.
      const detail = err instanceof Error ? err.message : String(err)
      throw new StoreError('STORE_UNAVAILABLE', `gateway store: ${what} failed: ${detail}`, { cause: err })
    }
  }
  try {
    const c = await pool.connect()
    try {
      await c.query('SELECT pg_advisory_lock(hashtext($1))', [`arrowseal.kas.${s}`])
      try {
        await c.query(`CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.kas_entitlements (
  principal TEXT NOT NULL, role TEXT NOT NULL, dataset TEXT NOT NULL,
  not_before BIGINT NOT NULL, not_after BIGINT, PRIMARY KEY (principal, dataset, role));
CREATE TABLE IF NOT EXISTS ${s}.kas_suspensions (principal TEXT PRIMARY KEY, since BIGINT NOT NULL, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.kas_nonces (nonce BYTEA PRIMARY KEY, expires BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS kas_nonces_expires ON ${s}.kas_nonces (expires);`)
      } finally {
        await c.query('SELECT pg_advisory_unlock(hashtext($1))', [`arrowseal.kas.${s}`])
      }
    } finally {
      c.release()
    }
  } catch (err) {
    await pool.end().catch(() => {})
    if (noncePool !== pool) await noncePool.end().catch(() => {})
    const detail = err instanceof Error ? err.message : String(err)
    throw new StoreError('STORE_UNAVAILABLE', `gateway store: connect failed: ${detail}`, { cause: err })
  }
  let inserts = 0
  type SuspRow = { principal: string; since: string; reason: string }
  // One statement (one WAL flush) per batch of distinct nonces; RETURNING names those that were new.
  const useNonce = batchedNonces(async (claims) => {
    inserts += claims.length
    if (inserts >= SWEEP_EVERY) {
      inserts = 0
      await q(`DELETE FROM ${s}.kas_nonces WHERE expires < $1`, [claims[claims.length - 1]!.now], 'sweep', noncePool)
    }
    const r = await q(
      `INSERT INTO ${s}.kas_nonces (nonce, expires) SELECT * FROM unnest($1::bytea[], $2::bigint[])
       ON CONFLICT (nonce) DO NOTHING RETURNING nonce`,
      [claims.map((c) => Buffer.from(c.nonce)), claims.map((c) => c.expires)],
      'nonce',
      noncePool,
    )
    const fresh = new Set((r.rows as { nonce: Buffer }[]).map((x) => x.nonce.toString('hex')))
    return claims.map((c) => fresh.has(Buffer.from(c.nonce).toString('hex')))
  })
  const susp = (r: SuspRow): Suspension => ({ principal: r.principal, since: Number(r.since), reason: r.reason })
  return {
    kind: 'postgres',
    useNonce,
    async rolesOf(principal, dataset, now) {
      const r = await q(
        `SELECT role FROM ${s}.kas_entitlements WHERE principal = $1 AND (dataset = $2 OR dataset = '*')
         AND not_before <= $3 AND (not_after IS NULL OR not_after > $3)`,
        [principal, dataset, now],
        'entitlements',
      )
      return new Set(r.rows.map((x: { role: string }) => x.role))
    },
    async grant(e) {
      await q(
        `INSERT INTO ${s}.kas_entitlements (principal, role, dataset, not_before, not_after) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (principal, dataset, role) DO UPDATE SET not_before = excluded.not_before, not_after = excluded.not_after`,
        [e.principal, e.role, e.dataset, e.notBefore, e.notAfter],
        'grant',
      )
    },
    async revoke(p, role, d) {
      const r = await q(
        `DELETE FROM ${s}.kas_entitlements WHERE principal = $1 AND role = $2 AND dataset = $3`,
        [p, role, d],
        'revoke',
      )
      return (r.rowCount ?? 0) > 0
    },
    async list(p) {
      const r =
        p === undefined
          ? await q(`SELECT * FROM ${s}.kas_entitlements ORDER BY principal, dataset, role`, [], 'list')
          : await q(`SELECT * FROM ${s}.kas_entitlements WHERE principal = $1 ORDER BY dataset, role`, [p], 'list')
      return r.rows.map(row)
    },
    async suspend(p, reason, now) {
      await q(
        `INSERT INTO ${s}.kas_suspensions (principal, since, reason) VALUES ($1, $2, $3) ON CONFLICT (principal) DO NOTHING`,
        [p, now, reason],
        'suspend',
      )
    },
    async unsuspend(p) {
      const r = await q(`DELETE FROM ${s}.kas_suspensions WHERE principal = $1`, [p], 'unsuspend')
      return (r.rowCount ?? 0) > 0
    },
    async suspension(p) {
      const r = await q(`SELECT * FROM ${s}.kas_suspensions WHERE principal = $1`, [p], 'suspension')
      return r.rows[0] ? susp(r.rows[0] as SuspRow) : null
    },
    async access(principal, dataset, now) {
      // One statement, one snapshot, one round trip: the pool's client CPU per query was a good part of a grant.
      const r = await q(
        `SELECT EXISTS (SELECT 1 FROM ${s}.kas_suspensions WHERE principal = $1) AS suspended,
           ARRAY(SELECT role FROM ${s}.kas_entitlements WHERE principal = $1 AND (dataset = $2 OR dataset = '*')
             AND not_before <= $3 AND (not_after IS NULL OR not_after > $3)) AS roles`,
        [principal, dataset, now],
        'access',
      )
      const row = r.rows[0] as { suspended: boolean; roles: string[] } | undefined
      if (row === undefined) throw new StoreError('STORE_UNAVAILABLE', 'gateway store: access read no row')
      return { suspended: row.suspended === true, roles: new Set(row.roles) }
    },
    async suspensions() {
      const r = await q(`SELECT * FROM ${s}.kas_suspensions ORDER BY principal`, [], 'suspensions')
      return (r.rows as SuspRow[]).map(susp)
    },
    async ping() {
      await q('SELECT 1', [], 'ping')
    },
    close: async () => {
      if (noncePool !== pool) await noncePool.end()
      await pool.end()
    },
  }
}
