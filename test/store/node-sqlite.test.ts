/**
 * The node:sqlite driver (src/store/node-sqlite.ts), used where better-sqlite3's addon does not load (Node 24 in
 * CI): the API subset behaves as better-sqlite3's does for the store (pluck, changes, IMMEDIATE transactions that
 * roll back on a throw, fileMustExist, SQLITE_* error codes the store maps to typed errors). Skipped, with the
 * reason printed, on a Node without node:sqlite (Node 20).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { hasNodeSqlite, NodeSqliteDatabase } from '../../src/store/node-sqlite.js'
import { sqliteError } from '../../src/store/sqlite.js'

const skip = hasNodeSqlite() ? null : `node:sqlite is not in Node ${process.versions.node}`
if (skip) console.log(`[node-sqlite] skipped: ${skip}`)
const dir = mkdtempSync(join(tmpdir(), 'aseal-node-sqlite-'))

describe.skipIf(skip !== null)('node:sqlite driver', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('prepare / run / get / all / pluck, BLOBs as bytes, changes as a number', () => {
    const db = new NodeSqliteDatabase(join(dir, 'a.db'))
    db.pragma('journal_mode = WAL')
    db.exec('CREATE TABLE t (k BLOB PRIMARY KEY, v INTEGER)')
    const ins = db.prepare('INSERT OR IGNORE INTO t (k, v) VALUES (?, ?)')
    expect(ins.run(Buffer.from([1, 2]), 7).changes).toBe(1)
    expect(ins.run(Buffer.from([1, 2]), 8).changes).toBe(0)
    expect(
      db
        .prepare('SELECT v FROM t WHERE k = ?')
        .pluck()
        .get(Buffer.from([1, 2])),
    ).toBe(7)
    const [row] = db.prepare('SELECT k, v FROM t').all() as { k: Uint8Array; v: number }[]
    expect(row!.k).toEqual(new Uint8Array([1, 2]))
    db.close()
    expect(db.open).toBe(false)
  })

  it('transaction(fn).immediate commits, or rolls back when fn throws', () => {
    const db = new NodeSqliteDatabase(join(dir, 'b.db'))
    db.exec('CREATE TABLE t (v INTEGER)')
    const add = db.transaction((v: number, fail: boolean) => {
      db.prepare('INSERT INTO t (v) VALUES (?)').run(v)
      if (fail) throw new Error('boom')
      return v
    })
    expect(add.immediate(1, false)).toBe(1)
    expect(() => add.immediate(2, true)).toThrow('boom')
    expect(db.inTransaction).toBe(false)
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(1)
    db.close()
  })

  it('fileMustExist and a file that is not a database give the codes the store maps', () => {
    const missing = join(dir, 'missing.db')
    let err: unknown
    try {
      new NodeSqliteDatabase(missing, { fileMustExist: true })
    } catch (e) {
      err = e
    }
    expect(sqliteError(err, missing).code).toBe('STORE_UNAVAILABLE')
    const junk = join(dir, 'junk.db')
    writeFileSync(junk, Buffer.alloc(4096, 0x41))
    err = undefined
    try {
      const db = new NodeSqliteDatabase(junk)
      db.pragma('journal_mode = WAL')
    } catch (e) {
      err = e
    }
    expect((err as { code?: string }).code).toBe('SQLITE_NOTADB')
    expect(sqliteError(err, junk).code).toBe('STORE_CORRUPT')
  })
})
