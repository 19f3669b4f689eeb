/**
 * The SQLite backend's durability (src/store/sqlite.ts): the connection runs at synchronous=NORMAL and `write`
 * fsyncs the WAL file itself, off the event loop, after COMMIT; it must not resolve before that fsync has, and a
 * failed fsync must fail the write and every later one (the kernel may have dropped the unsynced pages).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { StoreError } from '../../src/errors.js'
import { identityFromSeed } from '../../src/keys/identity.js'
import { Frontier } from '../../src/store/backend.js'
import { AuditLog } from '../../src/store/log.js'
import { type FileSync, openSqliteBackend } from '../../src/store/sqlite.js'
import { sqliteSkip } from './backends.js'

const dir = mkdtempSync(join(tmpdir(), 'aseal-sqlite-sync-'))
const init = { origin: 'o', logKey: 'k', create: true }
const row = (i: number) => ({ index: i, bytes: new Uint8Array([i]), leafHash: new Uint8Array(32).fill(i) })

describe.skipIf(sqliteSkip() !== null)('SQLite appends: durable (WAL fsynced) before write() resolves', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('write() waits for the fsync of the WAL, one per commit', async () => {
    const pending: (() => void)[] = []
    const sync: FileSync = () => new Promise<void>((resolve) => pending.push(resolve))
    const backend = openSqliteBackend(join(dir, 'a.db'), init, sync)
    let done = false
    const w = backend
      .write(async (tx) => tx.insert([row(0)], [], 1))
      .then(() => {
        done = true
      })
    await new Promise((r) => setTimeout(r, 20))
    expect(pending).toHaveLength(1)
    expect(done).toBe(false)
    pending.shift()!()
    await w
    expect(done).toBe(true)
    expect(await backend.size()).toBe(1)
    await backend.saveCheckpoint(1, 'note 1')
    expect(pending).toHaveLength(0) // a note has no fsync of its own
    await backend.close()
  })

  it('a failed fsync fails that write and every later one', async () => {
    let fail = true
    const sync: FileSync = async () => {
      if (fail) throw new Error('EIO')
    }
    const backend = openSqliteBackend(join(dir, 'b.db'), init, sync)
    await expect(backend.write(async (tx) => tx.insert([row(0)], [], 1))).rejects.toBeInstanceOf(StoreError)
    fail = false
    await expect(backend.write(async (tx) => tx.insert([row(1)], [], 2))).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    })
    await backend.close()
  })

  it('a checkpoint signed while a batch is in its fsync is released only once that batch is durable', async () => {
    const pending: (() => void)[] = []
    let fail = false
    const sync: FileSync = () =>
      new Promise<void>((resolve, reject) => pending.push(() => (fail ? reject(new Error('EIO')) : resolve())))
    const identity = identityFromSeed(new Uint8Array(32).fill(3))
    const open = (name: string) => {
      const backend = openSqliteBackend(join(dir, name), init, sync)
      return { backend, log: new AuditLog(backend, 'o', identity.publicKeyObject, identity, new Frontier(), 16) }
    }
    const tick = () => new Promise((r) => setTimeout(r, 20))

    const { backend, log } = open('c.db')
    const appended = log.append(new Uint8Array([1]))
    await tick()
    expect(pending).toHaveLength(1) // committed, its fsync held
    let issued: { size: number } | undefined
    const cp = log.issueCheckpoint().then((c) => {
      issued = c
      return c
    })
    await tick()
    expect(issued).toBeUndefined() // signed over size 1, not released: entry 0 is not durable yet
    expect(await backend.latestCheckpoint()).toBeNull() // nor stored
    pending.shift()!()
    await appended
    const c = await cp
    expect(c.size).toBe(1)
    await c.stored
    expect((await backend.latestCheckpoint())?.size).toBe(1)
    await log.close()

    // The batch's fsync fails: the note over it is thrown away; the one released is over the durable size.
    const second = open('d.db')
    fail = true
    const lost = second.log.append(new Uint8Array([2]))
    lost.catch(() => {})
    await tick()
    const cp2 = second.log.issueCheckpoint()
    await tick()
    pending.shift()!()
    await expect(lost).rejects.toBeInstanceOf(StoreError)
    const c2 = await cp2
    expect(c2.size).toBe(0)
    expect(c2.note.split('\n')[1]).toBe('0')
    await second.log.close()
  })

  it('a memory database (no WAL) stays at synchronous=FULL', async () => {
    const backend = openSqliteBackend(':memory:', init)
    const db = (backend as unknown as { db: { pragma(s: string): Record<string, unknown>[] } }).db
    expect(Number(Object.values(db.pragma('synchronous')[0]!)[0])).toBe(2)
    await backend.close()
  })
})
