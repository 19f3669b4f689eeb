/**
 * The SQLite driver where better-sqlite3's native addon does not load (it is built for one Node ABI: the one
 * `npm install` ran under, Node 20 here; on Node 24 it fails with NODE_MODULE_VERSION): the built-in `node:sqlite`
 * (Node ≥ 22.5), behind the small part of better-sqlite3's API that src/store and src/kas/node use (`prepare` with
 * `run`/`get`/`all`/`pluck`, `exec`, `pragma`, `transaction(fn).immediate`, `inTransaction`, `open`, `close`,
 * the `fileMustExist` option). Same file format, same pragmas (WAL, `synchronous=FULL`), so a store written by one
 * driver opens with the other. Chosen at run time by `loadBetterSqlite3` (src/store/sqlite.ts); no compiler or
 * download is needed, which is why CI's Node 24 suite uses it rather than a rebuilt addon.
 * @module
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'

type Param = null | number | bigint | string | Uint8Array
interface NodeStatement {
  run(...p: Param[]): { changes: number | bigint }
  get(...p: Param[]): unknown
  all(...p: Param[]): unknown[]
}
interface NodeDatabase {
  readonly isOpen: boolean
  readonly isTransaction: boolean
  prepare(sql: string): NodeStatement
  exec(sql: string): void
  close(): void
}
type NodeSqlite = { DatabaseSync: new (path: string) => NodeDatabase }

/** SQLite primary result codes the store's error mapping tells apart (sqlite3.h). */
const CODES: Record<number, string> = {
  5: 'SQLITE_BUSY',
  11: 'SQLITE_CORRUPT',
  14: 'SQLITE_CANTOPEN',
  26: 'SQLITE_NOTADB',
}

/** Gives node:sqlite's errors better-sqlite3's `code` (`SQLITE_…`), which src/store/sqlite.ts maps to typed errors. */
function mapped<T>(fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    const errcode = (err as { errcode?: unknown } | null)?.errcode
    if (typeof errcode === 'number' && err instanceof Error) {
      Object.defineProperty(err, 'code', { value: CODES[errcode & 0xff] ?? `SQLITE_ERROR_${errcode}` })
    }
    throw err
  }
}

class Statement {
  #pluck = false
  constructor(private readonly s: NodeStatement) {}
  pluck(): this {
    this.#pluck = true
    return this
  }
  run(...p: Param[]): { changes: number } {
    const r = mapped(() => this.s.run(...p))
    return { changes: Number(r.changes) }
  }
  get(...p: Param[]): unknown {
    const row = mapped(() => this.s.get(...p))
    if (!this.#pluck || row === undefined || row === null) return row
    return Object.values(row as Record<string, unknown>)[0]
  }
  all(...p: Param[]): unknown[] {
    return mapped(() => this.s.all(...p))
  }
}

/** A better-sqlite3-shaped database on node:sqlite (the subset the store uses). */
export class NodeSqliteDatabase {
  readonly #db: NodeDatabase

  constructor(path: string, options: { fileMustExist?: boolean } = {}) {
    if (options.fileMustExist && path !== ':memory:' && !existsSync(path)) {
      throw Object.assign(new Error(`unable to open database file ${path}`), { code: 'SQLITE_CANTOPEN' })
    }
    const { DatabaseSync } = createRequire(import.meta.url)('node:sqlite') as NodeSqlite
    this.#db = mapped(() => new DatabaseSync(path))
  }

  get open(): boolean {
    return this.#db.isOpen
  }

  get inTransaction(): boolean {
    return this.#db.isTransaction
  }

  prepare(sql: string): Statement {
    return new Statement(mapped(() => this.#db.prepare(sql)))
  }

  exec(sql: string): void {
    mapped(() => this.#db.exec(sql))
  }

  /** `PRAGMA text`; returns its rows like better-sqlite3. */
  pragma(text: string): unknown[] {
    return mapped(() => this.#db.prepare(`PRAGMA ${text}`).all())
  }

  /** `fn` in a transaction; only `.immediate` (BEGIN IMMEDIATE), the one form the store uses. */
  transaction<A extends unknown[], R>(fn: (...a: A) => R): { immediate: (...a: A) => R } {
    return {
      immediate: (...a: A): R => {
        this.exec('BEGIN IMMEDIATE')
        try {
          const r = fn(...a)
          this.exec('COMMIT')
          return r
        } catch (err) {
          if (this.inTransaction) this.exec('ROLLBACK')
          throw err
        }
      },
    }
  }

  close(): void {
    this.#db.close()
  }
}

/** Whether this Node has `node:sqlite` (22.5+; unflagged from 22.13 / 23.4). */
export function hasNodeSqlite(): boolean {
  try {
    createRequire(import.meta.url)('node:sqlite')
    return true
  } catch {
    return false
  }
}
