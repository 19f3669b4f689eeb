// KasStore.access (src/kas/node/store.ts): the suspension and the roles of one dataset in one read (one round trip
// on PostgreSQL), which the gateway uses instead of two. It must answer exactly what `suspension` and `rolesOf`
// answer: validity windows, the `*` dataset, other principals and datasets, suspension and its lifting.
import { afterAll, describe, expect, it } from 'vitest'
import { openKasStore } from '../../src/kas/node/store.js'
import { BACKENDS } from '../store/backends.js'

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip !== null)(`KasStore.access (${backend.name})`, () => {
    afterAll(() => backend.cleanup())

    it('agrees with suspension() and rolesOf() on every case', async () => {
      const store = await openKasStore(backend.fresh())
      try {
        const now = 1_800_000_000_000
        const p = 'key:' + 'ab'.repeat(32)
        await store.grant({ principal: p, role: 'analysts', dataset: 'sales', notBefore: 0, notAfter: null })
        await store.grant({ principal: p, role: 'support', dataset: '*', notBefore: 0, notAfter: now + 1 })
        await store.grant({ principal: p, role: 'later', dataset: 'sales', notBefore: now + 1, notAfter: null })
        await store.grant({ principal: p, role: 'ended', dataset: 'sales', notBefore: 0, notAfter: now })
        await store.grant({ principal: p, role: 'hr', dataset: 'people', notBefore: 0, notAfter: null })
        await store.grant({
          principal: 'key:' + 'cd'.repeat(32),
          role: 'x',
          dataset: 'sales',
          notBefore: 0,
          notAfter: null,
        })
        const check = async (principal: string, dataset: string, t: number) => {
          const a = await store.access!(principal, dataset, t)
          expect(a.suspended).toBe((await store.suspension(principal)) !== null)
          expect([...a.roles].sort()).toEqual([...(await store.rolesOf(principal, dataset, t))].sort())
          return a
        }
        expect([...(await check(p, 'sales', now)).roles].sort()).toEqual(['analysts', 'support'])
        expect([...(await check(p, 'sales', now + 1)).roles].sort()).toEqual(['analysts', 'later'])
        expect([...(await check(p, 'people', now)).roles].sort()).toEqual(['hr', 'support'])
        expect((await check('key:' + 'ef'.repeat(32), 'sales', now)).roles.size).toBe(0)
        expect((await check(p, 'sales', now)).suspended).toBe(false)
        await store.suspend(p, 'test', now)
        expect((await check(p, 'sales', now)).suspended).toBe(true)
        await store.unsuspend(p)
        expect((await check(p, 'sales', now)).suspended).toBe(false)
      } finally {
        await store.close()
      }
    })
  })
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip !== null)(`KasStore nonceSync 'with-log' (${backend.name})`, () => {
    afterAll(() => backend.cleanup())

    it('still refuses a replay, within a batch, across batches and after a reopen', async () => {
      const location = backend.fresh()
      const nonce = (i: number) => new Uint8Array(16).fill(i)
      let store = await openKasStore(location, { nonceSync: 'with-log' })
      const first = await Promise.all([store.useNonce(nonce(1), 9e12, 0), store.useNonce(nonce(1), 9e12, 0)])
      expect(first).toEqual([true, false])
      expect(await store.useNonce(nonce(1), 9e12, 0)).toBe(false)
      expect(await store.useNonce(nonce(2), 9e12, 0)).toBe(true)
      await store.close()
      store = await openKasStore(location)
      expect(await store.useNonce(nonce(2), 9e12, 0)).toBe(false)
      expect(await store.useNonce(nonce(3), 9e12, 0)).toBe(true)
      await store.close()
    })
  })
}
