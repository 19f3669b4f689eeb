/**
 * PostgreSQL backend on `pg`, for several service replicas sharing one log.
 *
 * Sequencing: every write transaction starts with `SELECT … FROM log_state WHERE id = 1 FOR UPDATE`, a row lock
 * that only one transaction in the whole cluster holds at a time; the size it reads is authoritative, and the
 * `entries` primary key refuses any index assigned twice. Replicas therefore take turns; none can fork the tree.
 * Durability: `SET LOCAL synchronous_commit = on` so that a server configured for asynchronous commits still
 * flushes the WAL before `COMMIT` returns, and `append` resolves only after that.
 *
 * @module
 */
import { createRequire } from 'node:module'
import type Pg from 'pg'
import type { SubtreeId } from '../audit/merkle.js'
import { StoreError } from '../errors.js'
import type { Backend, StoredEntry, StoredSubtree, StoreInit, WriteTx } from './backend.js'
import { PG_SCHEMA_RE, postgresSchema, SCHEMA_VERSION } from './schema.js'
import { checkHash, toEntry } from './sqlite.js'

function loadPg(): typeof Pg {
  try {
    const require = createRequire(import.meta.url)
    return require('pg') as typeof Pg
  } catch (err) {
    throw new StoreError('STORE_UNAVAILABLE', 'the "pg" package (8.x) is not installed', { cause: err })
  }
}

/** Maps driver errors; never includes the connection string (it may hold a password). */
function pgError(err: unknown, what: string): StoreError {
  if (err instanceof StoreError) return err
  const code = String((err as { code?: unknown } | null)?.code ?? '')
  // Class 22 (data exception) and XX (internal error, e.g. data_corrupted) on our own tables mean damage.
  if (code === 'XX001' || code === 'XX002') {
    return new StoreError('STORE_CORRUPT', `the audit database is damaged (${what})`, { cause: err })
  }
  const detail = err instanceof Error ? err.message : String(err)
  return new StoreError('STORE_UNAVAILABLE', `PostgreSQL ${what} failed: ${detail}`, { cause: err })
}

/** Opens (creating if needed) the log in `schema` of the database at `url`. */
export async function openPostgresBackend(url: string, schema: string, init: StoreInit): Promise<Backend> {
  if (!PG_SCHEMA_RE.test(schema)) throw new RangeError('"schema" must be a lower-case SQL identifier')
  const { Pool } = loadPg()
  // synchronous_commit=on for the session as well: appendAt's single statement commits without a SET LOCAL.
  const pool = new Pool({
    connectionString: url,
    max: 4,
    connectionTimeoutMillis: 10_000,
    options: '-c synchronous_commit=on',
  })
  // An idle client that loses its connection emits 'error' on the pool; without a listener Node would crash.
  pool.on('error', () => {})
  try {
    const client = await pool.connect()
    try {
      if (!init.create) {
        const t = await client.query('SELECT to_regclass($1) AS t', [`${schema}.log_state`])
        if (t.rows[0]?.t === null) throw new StoreError('STORE_CORRUPT', `schema ${schema} holds no audit log`)
        return new PostgresBackend(pool, schema)
      }
      // Two processes creating the same schema at once race on the catalog; serialise them.
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [`arrowseal.audit.${schema}`])
      try {
        await client.query(postgresSchema(schema))
        await client.query(
          `INSERT INTO ${schema}.log_state (id, size, origin, log_key, version) VALUES (1, 0, $1, $2, $3)
           ON CONFLICT (id) DO NOTHING`,
          [init.origin, init.logKey, SCHEMA_VERSION],
        )
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`arrowseal.audit.${schema}`])
      }
    } finally {
      client.release()
    }
  } catch (err) {
    await pool.end().catch(() => {})
    throw pgError(err, 'connect')
  }
  return new PostgresBackend(pool, schema)
}

class PostgresBackend implements Backend {
  readonly kind = 'postgres' as const

  constructor(
    private readonly pool: Pg.Pool,
    private readonly schema: string,
  ) {}

  async write<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    const s = this.schema
    let client: Pg.PoolClient
    try {
      client = await this.pool.connect()
    } catch (err) {
      throw pgError(err, 'connect')
    }
    let ok = false
    try {
      // One round trip for the three (the simple-query protocol takes several statements without parameters; the
      // schema name is a checked identifier): the gateway's grants wait on every round trip of the append.
      const opened = (await client.query(
        `BEGIN; SET LOCAL synchronous_commit = on; SELECT size FROM ${s}.log_state WHERE id = 1 FOR UPDATE`,
      )) as unknown as Pg.QueryResult[]
      const size = parseSize(opened[2]?.rows[0]?.size)
      const tx: WriteTx = {
        size: async () => size,
        readSubtrees: (ids) => readSubtrees(client, s, ids),
        insert: async (entries, subtrees, newSize) => {
          // One statement: the entries, their subtrees and the new size (data-modifying CTEs all run, in one
          // snapshot, whether or not the outer statement reads them).
          await client.query(
            `WITH e AS (
               INSERT INTO ${s}.entries (idx, bytes, leaf_hash)
               SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[])
             ), t AS (
               INSERT INTO ${s}.subtrees (level, idx, hash)
               SELECT * FROM unnest($4::smallint[], $5::bigint[], $6::bytea[])
             )
             UPDATE ${s}.log_state SET size = $7 WHERE id = 1`,
            [...rowArrays(entries, subtrees), newSize],
          )
        },
      }
      const result = await fn(tx)
      await client.query('COMMIT')
      ok = true
      return result
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw pgError(err, 'write')
    } finally {
      // A client whose transaction failed half-way is discarded, not reused.
      client.release(ok ? undefined : true)
    }
  }

  async appendAt(
    expected: number,
    entries: readonly StoredEntry[],
    subtrees: readonly StoredSubtree[],
    newSize: number,
  ): Promise<boolean> {
    const s = this.schema
    // One statement, one implicit transaction, one round trip (was BEGIN…FOR UPDATE, the inserts, COMMIT: three).
    // The UPDATE takes the sequencer row's lock and, under READ COMMITTED, re-checks `size = expected` on the
    // latest row version once a concurrent writer commits; the inserts read its RETURNING, so they run only if it
    // moved the size. The session's synchronous_commit=on makes the commit durable before the reply.
    const r = await this.query(
      `WITH s AS (
         UPDATE ${s}.log_state SET size = $7 WHERE id = 1 AND size = $8 RETURNING size
       ), e AS (
         INSERT INTO ${s}.entries (idx, bytes, leaf_hash)
         SELECT u.* FROM unnest($1::bigint[], $2::bytea[], $3::bytea[]) AS u WHERE EXISTS (SELECT 1 FROM s)
       ), t AS (
         INSERT INTO ${s}.subtrees (level, idx, hash)
         SELECT u.* FROM unnest($4::smallint[], $5::bigint[], $6::bytea[]) AS u WHERE EXISTS (SELECT 1 FROM s)
       )
       SELECT count(*)::int AS n FROM s`,
      [...rowArrays(entries, subtrees), newSize, expected],
      'write',
    )
    return (r.rows[0] as { n: number } | undefined)?.n === 1
  }

  async size(): Promise<number> {
    const r = await this.query(`SELECT size FROM ${this.schema}.log_state WHERE id = 1`, [], 'read')
    return parseSize(r.rows[0]?.size)
  }

  async readSubtrees(ids: readonly SubtreeId[]): Promise<Uint8Array[]> {
    let client: Pg.PoolClient
    try {
      client = await this.pool.connect()
    } catch (err) {
      throw pgError(err, 'connect')
    }
    try {
      return await readSubtrees(client, this.schema, ids)
    } finally {
      client.release()
    }
  }

  async readEntries(from: number, count: number): Promise<StoredEntry[]> {
    const r = await this.query(
      `SELECT idx, bytes, leaf_hash FROM ${this.schema}.entries WHERE idx >= $1 AND idx < $2 ORDER BY idx`,
      [from, from + count],
      'read',
    )
    return r.rows.map((row: { idx: unknown; bytes: unknown; leaf_hash: unknown }) =>
      toEntry(row.idx, row.bytes, row.leaf_hash),
    )
  }

  async saveCheckpoint(size: number, note: string): Promise<void> {
    await this.query(
      `INSERT INTO ${this.schema}.checkpoints (size, note) VALUES ($1, $2) ON CONFLICT (size) DO NOTHING`,
      [size, note],
      'write',
    )
  }

  async latestCheckpoint(): Promise<{ size: number; note: string } | null> {
    const r = await this.query(
      `SELECT size, note FROM ${this.schema}.checkpoints ORDER BY size DESC LIMIT 1`,
      [],
      'read',
    )
    const row = r.rows[0] as { size: unknown; note: unknown } | undefined
    if (!row) return null
    if (typeof row.note !== 'string') throw new StoreError('STORE_CORRUPT', 'a checkpoint row is malformed')
    return { size: parseSize(row.size), note: row.note }
  }

  async meta(): Promise<{ origin: string; logKey: string }> {
    const r = await this.query(`SELECT origin, log_key FROM ${this.schema}.log_state WHERE id = 1`, [], 'read')
    const row = r.rows[0] as { origin: string; log_key: string } | undefined
    if (!row) throw new StoreError('STORE_CORRUPT', 'the log state row is missing')
    return { origin: row.origin, logKey: row.log_key }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => {})
  }

  private async query(sql: string, params: unknown[], what: string): Promise<Pg.QueryResult> {
    try {
      return await this.pool.query(sql, params)
    } catch (err) {
      throw pgError(err, what)
    }
  }
}

async function readSubtrees(client: Pg.PoolClient, s: string, ids: readonly SubtreeId[]): Promise<Uint8Array[]> {
  if (ids.length === 0) return []
  const r = await client.query(
    `SELECT t.level, t.idx, t.hash FROM ${s}.subtrees t
     JOIN unnest($1::smallint[], $2::bigint[]) AS q(level, idx) ON t.level = q.level AND t.idx = q.idx`,
    [ids.map((i) => i.level), ids.map((i) => i.index)],
  )
  const byKey = new Map<string, unknown>()
  for (const row of r.rows as { level: number; idx: string; hash: unknown }[]) {
    byKey.set(`${row.level}/${row.idx}`, row.hash)
  }
  return ids.map((id) => checkHash(byKey.get(`${id.level}/${id.index}`), id))
}

/** The six column arrays ($1–$6) that the append statements unnest into `entries` and `subtrees`. */
function rowArrays(entries: readonly StoredEntry[], subtrees: readonly StoredSubtree[]): unknown[] {
  return [
    entries.map((e) => e.index),
    entries.map((e) => buf(e.bytes)),
    entries.map((e) => buf(e.leafHash)),
    subtrees.map((t) => t.level),
    subtrees.map((t) => t.index),
    subtrees.map((t) => buf(t.hash)),
  ]
}

function parseSize(v: unknown): number {
  const n = typeof v === 'string' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new StoreError('STORE_CORRUPT', 'the log size row is missing or invalid')
  }
  return n
}

function buf(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength)
}
