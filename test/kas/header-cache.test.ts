// The gateway's cache of opened headers evicts its oldest entry when full. A request that found its header there
// may still be awaiting the store when another request evicts it: the evicted group keys must stay intact for that
// request (they were zeroed on eviction once, so such an answer carried zero keys).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { b64u, keyPrincipal, openResponse, signRequest } from '../../src/kas/protocol.js'
import { BACKENDS } from '../store/backends.js'
import { admin, headers, post, type Running, rawRequest, readerId, startGateway } from './gateway-helpers.js'

// PostgreSQL: its round trips leave the window open long enough for the race to show (it did, before the fix).
const backend = BACKENDS.find((b) => b.name === 'postgres') ?? BACKENDS[0]!

describe.skipIf(backend.skip !== null)(`header cache eviction (${backend.name})`, () => {
  let g: Running
  beforeAll(async () => {
    g = await startGateway(backend.fresh(), { headerCacheSize: 1 })
    await admin(g.url, {
      action: 'grant',
      principal: keyPrincipal(readerId.publicKeyObject),
      role: 'analysts',
      dataset: '*',
    })
  })
  afterAll(async () => {
    await g?.close()
    await backend.cleanup()
  })

  it('concurrent requests for two headers through a one-entry cache all get the real keys', async () => {
    const answers = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const { bytes, eph } = rawRequest({}, readerId, headers[i % 2]!)
        const res = await post(g.url, JSON.stringify({ request: b64u(bytes), auth: signRequest(bytes, readerId) }))
        expect(res.status, JSON.stringify(res.json)).toBe(200)
        return openResponse(eph, bytes, Uint8Array.from(Buffer.from(res.json.sealed, 'base64url'))).get(1)
      }),
    )
    for (const key of answers) expect(key).toEqual(new Uint8Array(32).fill(0xa1))
  })
})
