/**
 * The SQLite backend stores checkpoint notes without an fsync of their own (src/store/sqlite.ts saveCheckpoint)
 * and must be back at synchronous=FULL right after, so that every append is still fsynced before it resolves.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openSqliteBackend } from '../../src/store/sqlite.js'
import { sqliteSkip } from './backends.js'

const dir = mkdtempSync(join(tmpdir(), 'aseal-sqlite-sync-'))

describe.skipIf(sqliteSkip() !== null)('SQLite checkpoint notes and synchronous=FULL', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('a note saved outside and inside a write transaction leaves the connection at FULL (2)', async () => {
    const backend = openSqliteBackend(join(dir, 'a.db'), { origin: 'o', logKey: 'k', create: true })
    const db = (backend as unknown as { db: { pragma(s: string): { synchronous: number }[] } }).db
    const level = () => Number(Object.values(db.pragma('synchronous')[0]!)[0])
    expect(level()).toBe(2)
    await backend.saveCheckpoint(0, 'note 0')
    expect(level()).toBe(2)
    await backend.write(async () => {
      await backend.saveCheckpoint(1, 'note 1')
    })
    expect(level()).toBe(2)
    expect(await backend.latestCheckpoint()).toEqual({ size: 1, note: 'note 1' })
    await backend.close()
  })
})
