import { afterAll, describe, expect, it } from 'vitest'
import { openCheckpoint } from '../../src/audit/checkpoint.js'
import { leafHash, verifyConsistency, verifyInclusion } from '../../src/audit/merkle.js'
import { StoreError } from '../../src/errors.js'
import { identityFromSeed } from '../../src/keys/identity.js'
import type { StoreLocation } from '../../src/store/log.js'
import { openAuditLog } from '../../src/store/log.js'
import { loadBetterSqlite3 } from '../../src/store/sqlite.js'
import { BACKENDS } from './backends.js'

async function rawSql(loc: StoreLocation, statement: string): Promise<void> {
  if ('sqlite' in loc) {
    const db = new (loadBetterSqlite3())(loc.sqlite)
    db.exec(statement)
    db.close()
    return
  }
  const pg = (await import('pg')).default
  const c = new pg.Client({ connectionString: loc.postgres })
  await c.connect()
  await c.query(`SET search_path TO ${loc.schema}`)
  await c.query(statement)
  await c.end()
}

const identity = identityFromSeed(new Uint8Array(32).fill(7))
const other = identityFromSeed(new Uint8Array(32).fill(8))
const origin = 'example.com/audit-test'
const enc = (s: string) => new TextEncoder().encode(s)

for (const b of BACKENDS) {
  describe.skipIf(b.skip !== null)(`audit store on ${b.name}`, () => {
    afterAll(() => b.cleanup())

    it('group-commits concurrent appends with distinct, dense indices', async () => {
      const log = await openAuditLog(b.fresh(), { origin, identity })
      const results = await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(enc(`e${i}`))))
      const indices = results.map((r) => r.index).sort((x, y) => x - y)
      expect(indices).toEqual(Array.from({ length: 300 }, (_, i) => i))
      expect(await log.size()).toBe(300)
      for (const [i, r] of results.entries()) expect(await log.entry(r.index)).toEqual(enc(`e${i}`))
      await log.close()
    })

    it('proofs from the store verify against a signed checkpoint, across reopen', async () => {
      const loc = b.fresh()
      let log = await openAuditLog(loc, { origin, identity })
      for (let i = 0; i < 37; i++) await log.append(enc(`a${i}`))
      const old = await openCheckpoint(await log.checkpoint(), identity.publicKey, { origin })
      await log.close()
      log = await openAuditLog(loc, { origin, identity })
      await Promise.all(Array.from({ length: 64 }, (_, i) => log.append(enc(`b${i}`))))
      const cur = await openCheckpoint(await log.checkpoint(), identity.publicKey, { origin })
      expect(cur.size).toBe(101)
      verifyConsistency(old.size, cur.size, old.root, cur.root, await log.consistencyProof(old.size, cur.size))
      for (const i of [0, 1, 36, 37, 99, 100]) {
        const proof = await log.inclusionProof(i, cur.size)
        verifyInclusion(leafHash(await log.entry(i)), i, cur.size, proof, cur.root)
      }
      const report = await log.verify([old.note])
      expect(report.root).toEqual(cur.root)
      await log.close()
    })

    it('an empty log has the empty root and a valid checkpoint', async () => {
      const log = await openAuditLog(b.fresh(), { origin, identity })
      const cp = await openCheckpoint(await log.checkpoint(), identity.publicKey, { origin })
      expect(cp.size).toBe(0)
      await log.verify([cp.note])
      await log.close()
    })

    it('refuses another origin, another key, and a proof past the size', async () => {
      const loc = b.fresh()
      const log = await openAuditLog(loc, { origin, identity })
      await log.append(enc('x'))
      await expect(log.inclusionProof(1, 1)).rejects.toMatchObject({ code: 'PROOF_INVALID' })
      await expect(log.inclusionProof(0, 2)).rejects.toMatchObject({ code: 'PROOF_INVALID' })
      await expect(log.entry(5)).rejects.toMatchObject({ code: 'PROOF_INVALID' })
      await log.close()
      await expect(openAuditLog(loc, { origin: 'other.example/log', identity })).rejects.toMatchObject({
        code: 'STORE_MISMATCH',
      })
      await expect(openAuditLog(loc, { origin, identity: other })).rejects.toMatchObject({ code: 'STORE_MISMATCH' })
      const ro = await openAuditLog(loc, { publicKey: identity.publicKey })
      await expect(ro.append(enc('y'))).rejects.toBeInstanceOf(TypeError)
      await ro.close()
    })

    it('refuses oversized entries and rejects appends after close', async () => {
      const log = await openAuditLog(b.fresh(), { origin, identity })
      await expect(log.append(new Uint8Array(64 * 1024 + 1))).rejects.toBeInstanceOf(RangeError)
      await log.close()
      await expect(log.append(enc('late'))).rejects.toBeInstanceOf(StoreError)
    })

    it('refuses to open a store whose tree no longer matches its own checkpoint, and an edited entry', async () => {
      const loc = b.fresh()
      const log = await openAuditLog(loc, { origin, identity })
      for (let i = 0; i < 8; i++) await log.append(enc(`c${i}`))
      await log.checkpoint()
      await log.close()
      await rawSql(
        loc,
        'UPDATE subtrees SET hash = (SELECT hash FROM subtrees WHERE level = 0 AND idx = 0) WHERE level = 3 AND idx = 0',
      )
      await expect(openAuditLog(loc, { origin, identity })).rejects.toMatchObject({ code: 'STORE_CORRUPT' })
      const loc2 = b.fresh()
      const log2 = await openAuditLog(loc2, { origin, identity })
      await log2.append(enc('original'))
      await rawSql(loc2, 'UPDATE entries SET bytes = leaf_hash WHERE idx = 0')
      await expect(log2.entry(0)).rejects.toMatchObject({ code: 'STORE_CORRUPT' })
      await log2.close()
    })

    it('two writers on one store never fork the tree', async () => {
      const loc = b.fresh()
      const a = await openAuditLog(loc, { origin, identity })
      const c = await openAuditLog(loc, { origin, identity })
      const rs = await Promise.all(
        Array.from({ length: 100 }, (_, i) => (i % 2 ? a : c).append(enc(`w${i}`)).then((r) => ({ i, ...r }))),
      )
      expect(new Set(rs.map((r) => r.index)).size).toBe(100)
      for (const r of rs) expect(await a.entry(r.index)).toEqual(enc(`w${r.i}`))
      await a.verify()
      await a.close()
      await c.close()
    })

    it('a writer whose tree is stale appends after the other, never over it (one-statement append refused)', async () => {
      const loc = b.fresh()
      const a = await openAuditLog(loc, { origin, identity })
      const c = await openAuditLog(loc, { origin, identity })
      // Strictly in turn: each append finds the other's entries, so c's (and then a's) frontier is stale every time.
      for (let i = 0; i < 6; i++) {
        const r = await (i % 2 ? a : c).append(enc(`t${i}`))
        expect(r.index).toBe(i)
      }
      for (let i = 0; i < 6; i++) expect(await c.entry(i)).toEqual(enc(`t${i}`))
      await c.verify([await a.checkpoint()])
      await a.close()
      await c.close()
    })

    it('issueCheckpoint signs the durable size without a read and stores the note in the background', async () => {
      const loc = b.fresh()
      const log = await openAuditLog(loc, { origin, identity })
      for (let i = 0; i < 5; i++) await log.append(enc(`c${i}`))
      const { size, note, stored } = await log.issueCheckpoint()
      expect(size).toBe(5)
      const cp = await openCheckpoint(note, identity.publicKeyObject, { origin })
      expect(cp.size).toBe(5)
      expect(cp.root).toEqual(await log.root(5))
      await stored
      expect(await log.latestCheckpoint()).toBe(note)
      // close() waits for a store still in flight: the row is there after a reopen.
      await log.append(enc('c5'))
      const second = await log.issueCheckpoint()
      await log.close()
      const again = await openAuditLog(loc, { origin, identity })
      expect(await again.latestCheckpoint()).toBe(second.note)
      await again.verify()
      await again.close()
    })
  })
}
