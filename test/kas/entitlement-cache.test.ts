/**
 * The optional entitlement cache (`entitlementCacheTtlMs`, `kas serve --entitlement-cache-ttl`). Two replicas over
 * one store; the revocation is made through replica B, requests go to replica A, whose clock is injected (no sleeps):
 * - TTL 0 (the default): the very next request to A after B acknowledged the revocation is refused;
 * - TTL 30 s: A may still grant from its cached read until 30 s after that read, and refuses from then on;
 * - a revocation made through A itself clears A's cache: it bites at once whatever the TTL.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { keyPrincipal } from '../../src/kas/protocol.js'
import { BACKENDS } from '../store/backends.js'
import { admin, post, rawRequest, readerId, startGateway } from './gateway-helpers.js'

const reader = keyPrincipal(readerId.publicKeyObject)
const entitlement = { principal: reader, role: 'analysts', dataset: 'sales' }

for (const b of BACKENDS) {
  if (b.skip) console.log(`[kas entitlement cache] ${b.name} skipped: ${b.skip}`)
  describe.skipIf(b.skip !== null)(`entitlement cache on ${b.name}`, () => {
    afterAll(() => b.cleanup())

    async function replicas(ttl: number) {
      const location = b.fresh()
      let offset = 0
      const a = await startGateway(location, { entitlementCacheTtlMs: ttl, now: () => Date.now() + offset })
      const other = await startGateway(location)
      return {
        a,
        other,
        advance: (ms: number) => {
          offset += ms
        },
        async close() {
          await a.close()
          await other.close()
        },
      }
    }
    const ask = async (url: string) => (await post(url, rawRequest().body)).status

    it('TTL 0: a revocation through another replica bites at the very next request', async () => {
      const r = await replicas(0)
      try {
        expect((await admin(r.other.url, { action: 'grant', ...entitlement })).status).toBe(200)
        expect(await ask(r.a.url)).toBe(200)
        expect((await admin(r.other.url, { action: 'revoke', ...entitlement })).status).toBe(200)
        expect(await ask(r.a.url)).toBe(403)
      } finally {
        await r.close()
      }
    })

    it('TTL 30 s: granted from the cache until 30 s after the read, refused from then on', async () => {
      const r = await replicas(30_000)
      try {
        expect((await admin(r.other.url, { action: 'grant', ...entitlement })).status).toBe(200)
        expect(await ask(r.a.url)).toBe(200) // read now, cached
        expect((await admin(r.other.url, { action: 'revoke', ...entitlement })).status).toBe(200)
        r.advance(29_000)
        expect(await ask(r.a.url)).toBe(200) // within the TTL: the documented window
        r.advance(1_001)
        expect(await ask(r.a.url)).toBe(403) // the TTL is the bound
      } finally {
        await r.close()
      }
    })

    it('TTL 30 s: a revocation through the replica itself bites at once', async () => {
      const r = await replicas(30_000)
      try {
        expect((await admin(r.a.url, { action: 'grant', ...entitlement })).status).toBe(200)
        expect(await ask(r.a.url)).toBe(200)
        expect((await admin(r.a.url, { action: 'revoke', ...entitlement })).status).toBe(200)
        expect(await ask(r.a.url)).toBe(403)
      } finally {
        await r.close()
      }
    })

    it('TTL 30 s: a suspension through another replica bites within the TTL', async () => {
      const r = await replicas(30_000)
      try {
        expect((await admin(r.other.url, { action: 'grant', ...entitlement })).status).toBe(200)
        expect(await ask(r.a.url)).toBe(200)
        expect((await admin(r.other.url, { action: 'suspend', principal: reader, reason: 'test' })).status).toBe(200)
        r.advance(30_001)
        expect(await ask(r.a.url)).toBe(403)
      } finally {
        await r.close()
      }
    })
  })
}
