/**
 * SQLite backend on better-sqlite3: one file at a path the user gives, WAL journal, and a commit has reached the
 * disk (the WAL is fsynced) before `append` resolves.
 *
 * better-sqlite3 is synchronous: a write transaction blocks the event loop for its duration, and the appends that
 * arrive meanwhile queue up for the next group commit. The fsync is the exception: SQLite's `synchronous=FULL` would
 * run it inside COMMIT, on the event loop (2 ms on a disk, most of a busy gateway's stall), so the connection runs
 * at `synchronous=NORMAL` and `write` fsyncs the WAL file itself on libuv's thread pool after COMMIT, resolving only
 * then. That is FULL's guarantee (FULL in WAL mode is exactly an fsync of the WAL after the commit frames; a WAL
 * checkpoint under NORMAL syncs the WAL before copying it and the database after). If an fsync fails, the backend
 * refuses every later write: the kernel may have dropped the unsynced pages, so nothing written since can be
 * trusted to be durable (PostgreSQL stops for the same reason); a restart recovers from what is on disk.
 * `BEGIN IMMEDIATE` takes SQLite's write lock up front, so a second process on the same file waits (busy_timeout)
 * instead of interleaving.
 *
 * @module
 */
import { closeSync, fsync, fsyncSync, openSync } from 'node:fs'
import { createRequire } from 'node:module'
import type BetterSqlite3 from 'better-sqlite3'
import type { SubtreeId } from '../audit/merkle.js'
import { StoreError } from '../errors.js'
import type { Backend, StoredEntry, StoredSubtree, StoreInit, WriteTx } from './backend.js'
import { hasNodeSqlite, NodeSqliteDatabase } from './node-sqlite.js'
import { SCHEMA_VERSION, sqliteSchema } from './schema.js'

type Database = BetterSqlite3.Database

/**
 * Loads the SQLite driver: the optional peer dependency better-sqlite3, or, where it is missing or its native
 * addon does not load for this Node (built for another NODE_MODULE_VERSION), the built-in `node:sqlite` behind
 * the same API subset (src/store/node-sqlite.ts). `ARROWSEAL_SQLITE_DRIVER=better-sqlite3|node` forces one.
 * A clear typed error if neither is available.
 */
export function loadBetterSqlite3(): typeof BetterSqlite3 {
  loaded ??= loadDriver()
  return loaded
}

let loaded: typeof BetterSqlite3 | undefined

function loadDriver(): typeof BetterSqlite3 {
  const forced = process.env['ARROWSEAL_SQLITE_DRIVER']
  if (forced === 'node' && hasNodeSqlite()) return NodeSqliteDatabase as unknown as typeof BetterSqlite3
  try {
    const require = createRequire(import.meta.url)
    const Driver = require('better-sqlite3') as typeof BetterSqlite3
    // The addon loads lazily, at the first `new`: try it once here so a wrong ABI falls back instead of failing.
    if (forced !== 'better-sqlite3') new Driver(':memory:').close()
    return Driver
  } catch (err) {
    if (forced !== 'better-sqlite3' && hasNodeSqlite()) return NodeSqliteDatabase as unknown as typeof BetterSqlite3
    throw new StoreError(
      'STORE_UNAVAILABLE',
      'better-sqlite3 (12.x) is not installed or its native addon does not load for this Node version, and this Node has no node:sqlite (22.5+)',
      { cause: err },
    )
  }
}

/** Makes a file descriptor's data durable (fsync), off the event loop. A test seam of {@link openSqliteBackend}. */
export type FileSync = (fd: number) => Promise<void>

const fsyncOffLoop: FileSync = (fd) =>
  new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())))

/** Opens (creating if needed) the SQLite store at `path`. */
export function openSqliteBackend(path: string, init: StoreInit, fileSync: FileSync = fsyncOffLoop): Backend {
  const Driver = loadBetterSqlite3()
  let db: Database
  let wal = false
  try {
    db = new Driver(path, { fileMustExist: !init.create })
    db.pragma('busy_timeout = 10000')
    const mode = db.pragma('journal_mode = WAL') as Record<string, unknown>[]
    // A memory database (or one SQLite keeps out of WAL) has no WAL file to sync: FULL then, as before.
    wal = String(Object.values(mode[0] ?? {})[0]).toLowerCase() === 'wal'
    db.pragma(wal ? 'synchronous = NORMAL' : 'synchronous = FULL')
    if (init.create) db.exec(sqliteSchema())
    const row = db.prepare('SELECT origin, log_key, version FROM log_state WHERE id = 1').get() as
      | { origin: string; log_key: string; version: number }
      | undefined
    if (!row && !init.create) throw new StoreError('STORE_CORRUPT', `${path} holds no audit log`)
    if (!row) {
      db.prepare('INSERT INTO log_state (id, size, origin, log_key, version) VALUES (1, 0, ?, ?, ?)').run(
        init.origin,
        init.logKey,
        SCHEMA_VERSION,
      )
    }
  } catch (err) {
    throw sqliteError(err, path)
  }
  let walFd: number | null = null
  if (wal) {
    // SQLite made the WAL file when it switched to WAL mode; what opening wrote (a new store's schema, its first
    // row) is made durable here, once.
    try {
      walFd = openSync(`${path}-wal`, 'r+')
      fsyncSync(walFd)
    } catch (err) {
      db.close()
      throw sqliteError(err, path)
    }
  }
  return new SqliteBackend(db, path, walFd, fileSync)
}

/** Maps driver errors: a file that is not a database, or a damaged one, is STORE_CORRUPT; the rest unavailable. */
export function sqliteError(err: unknown, path: string): StoreError {
  if (err instanceof StoreError) return err
  const code = String((err as { code?: unknown } | null)?.code ?? '')
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT') || /no such table/.test(String(err))) {
    return new StoreError('STORE_CORRUPT', `${path} is not an audit database or is damaged`, { cause: err })
  }
  if (code === 'SQLITE_CANTOPEN') {
    return new StoreError('STORE_UNAVAILABLE', `cannot open the audit database ${path}`, { cause: err })
  }
  const detail = err instanceof Error ? err.message : String(err)
  return new StoreError('STORE_UNAVAILABLE', `cannot use the audit database ${path}: ${detail}`, { cause: err })
}

class SqliteBackend implements Backend {
  readonly kind = 'sqlite' as const
  private readonly stmts
  /** Set by a failed fsync: every later write is refused (see the module comment). */
  private broken: StoreError | null = null

  constructor(
    private readonly db: Database,
    private readonly path: string,
    /** The WAL file, fsynced after every commit; null when the database is not in WAL mode (synchronous=FULL). */
    private readonly walFd: number | null,
    private readonly fileSync: FileSync,
  ) {
    this.stmts = {
      size: db.prepare('SELECT size FROM log_state WHERE id = 1').pluck(),
      setSize: db.prepare('UPDATE log_state SET size = ? WHERE id = 1'),
      insEntry: db.prepare('INSERT INTO entries (idx, bytes, leaf_hash) VALUES (?, ?, ?)'),
      insSubtree: db.prepare('INSERT INTO subtrees (level, idx, hash) VALUES (?, ?, ?)'),
      subtree: db.prepare('SELECT hash FROM subtrees WHERE level = ? AND idx = ?').pluck(),
      entries: db.prepare('SELECT idx, bytes, leaf_hash FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx'),
      insCheckpoint: db.prepare('INSERT OR IGNORE INTO checkpoints (size, note) VALUES (?, ?)'),
      latest: db.prepare('SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1'),
      meta: db.prepare('SELECT origin, log_key FROM log_state WHERE id = 1'),
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
    }
  }

  private run<T>(fn: () => T): T {
    try {
      return fn()
    } catch (err) {
      throw sqliteError(err, this.path)
    }
  }

  async write<T>(fn: (tx: WriteTx) => Promise<T>, committed?: () => void): Promise<T> {
    const s = this.stmts
    const tx: WriteTx = {
      size: async () => this.readSize(),
      readSubtrees: async (ids) => this.readSubtreesSync(ids),
      insert: async (entries, subtrees, newSize) => {
        this.run(() => {
          for (const e of entries) s.insEntry.run(e.index, e.bytes, e.leafHash)
          for (const t of subtrees) s.insSubtree.run(t.level, t.index, t.hash)
          s.setSize.run(newSize)
        })
      },
    }
    if (this.broken) throw this.broken
    this.run(() => s.begin.run())
    try {
      const result = await fn(tx)
      this.run(() => s.commit.run())
      committed?.()
      await this.durable()
      return result
    } catch (err) {
      if (this.db.inTransaction) this.run(() => s.rollback.run())
      throw err instanceof StoreError ? err : sqliteError(err, this.path)
    }
  }

  /** The WAL's fsync after a commit, off the event loop; a failure breaks the backend for good. */
  private async durable(): Promise<void> {
    if (this.walFd === null) return
    try {
      await this.fileSync(this.walFd)
    } catch (err) {
      this.broken = new StoreError('STORE_UNAVAILABLE', `the audit database ${this.path} could not be synced to disk`, {
        cause: err,
      })
      throw this.broken
    }
  }

  private readSize(): number {
    const v = this.run(() => this.stmts.size.get())
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new StoreError('STORE_CORRUPT', 'the log size row is missing or invalid')
    }
    return v
  }

  async size(): Promise<number> {
    return this.readSize()
  }

  private readSubtreesSync(ids: readonly SubtreeId[]): Uint8Array[] {
    return this.run(() =>
      ids.map((id) => {
        const h = this.stmts.subtree.get(id.level, id.index)
        return checkHash(h, id)
      }),
    )
  }

  async readSubtrees(ids: readonly SubtreeId[]): Promise<Uint8Array[]> {
    return this.readSubtreesSync(ids)
  }

  async readEntries(from: number, count: number): Promise<StoredEntry[]> {
    const rows = this.run(
      () => this.stmts.entries.all(from, from + count) as { idx: number; bytes: unknown; leaf_hash: unknown }[],
    )
    return rows.map((r) => toEntry(r.idx, r.bytes, r.leaf_hash))
  }

  async saveCheckpoint(size: number, note: string): Promise<void> {
    // No fsync of its own: under load the gateway stores a note every few ms, and each fsync (~2 ms) was a stall.
    // A note is no decision: it states a size whose entries are already durable, and it reaches the disk with the
    // next append's fsync of the WAL. Lost in a machine crash before that, it is still a valid signed statement of
    // the tree for whoever holds it.
    this.run(() => this.stmts.insCheckpoint.run(size, note))
  }

  async latestCheckpoint(): Promise<{ size: number; note: string } | null> {
    const row = this.run(() => this.stmts.latest.get()) as { size: number; note: string } | undefined
    return row ? { size: row.size, note: row.note } : null
  }

  async meta(): Promise<{ origin: string; logKey: string }> {
    const row = this.run(() => this.stmts.meta.get()) as { origin: string; log_key: string } | undefined
    if (!row) throw new StoreError('STORE_CORRUPT', 'the log state row is missing')
    return { origin: row.origin, logKey: row.log_key }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close()
    if (this.walFd !== null) closeSync(this.walFd)
  }
}

/** Checks a hash read back from the database: a missing row or a wrong length means the store was damaged. */
export function checkHash(h: unknown, id: SubtreeId): Uint8Array {
  if (!(h instanceof Uint8Array) || h.length !== 32) {
    throw new StoreError('STORE_CORRUPT', `subtree hash ${id.level}/${id.index} is missing or malformed`)
  }
  return new Uint8Array(h)
}

/** Checks one entry row read back from the database. */
export function toEntry(idx: unknown, bytes: unknown, leaf: unknown): StoredEntry {
  const index = typeof idx === 'string' ? Number(idx) : idx
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
    throw new StoreError('STORE_CORRUPT', 'an entry row has an invalid index')
  }
  if (!(bytes instanceof Uint8Array) || !(leaf instanceof Uint8Array) || leaf.length !== 32) {
    throw new StoreError('STORE_CORRUPT', `entry ${index} is malformed`)
  }
  return { index, bytes: new Uint8Array(bytes), leafHash: new Uint8Array(leaf) }
}

export type { StoredSubtree }
