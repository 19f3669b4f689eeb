// OIDC + DPoP through the real gateway over HTTP on loopback, with tokens from a real OpenID provider: an OIDC
// principal is granted; a token for another audience, a token without its key proof, a stolen token with the
// thief's own proof, and a proof moved to another request are refused with 401; the monitor suspends on a burst.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAnomalyMonitor } from '../../src/kas/anomaly.js'
import { keyAccessClient } from '../../src/kas/client.js'
import { dpopHeaders, dpopProof } from '../../src/kas/dpop.js'
import { createOidcAuthenticator } from '../../src/kas/oidc.js'
import { b64u } from '../../src/kas/protocol.js'
import { createThrottle } from '../../src/kas/throttle.js'
import { BACKENDS } from '../store/backends.js'
import { admin, gatewayId, headers, type Running, rawRequest, readerId, startGateway } from './gateway-helpers.js'
import { CLIENT_ID, startIdp, type TestIdp } from './oidc-idp.js'

const AUDIENCE = 'https://kas.test'
const OTHER = 'https://other-service.test'
const sqlite = BACKENDS.find((b) => b.name === 'sqlite')!

describe.skipIf(sqlite.skip !== null)('OIDC principals through the gateway (HTTP, real OpenID provider)', () => {
  let idp: TestIdp
  let g: Running
  let key: CryptoKeyPair
  let principal: string

  beforeAll(async () => {
    idp = await startIdp([AUDIENCE, OTHER])
    key = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
    principal = `oidc:${idp.issuer}#${CLIENT_ID}`
    g = await startGateway(sqlite.fresh(), {
      hooks: {
        tokens: createOidcAuthenticator({ issuers: [{ issuer: idp.issuer, audience: AUDIENCE }] }),
        throttle: createThrottle(),
        monitor: createAnomalyMonitor({ denialBurst: { count: 4 }, suspendOn: ['denial-burst'] }),
      },
    })
  })

  afterAll(async () => {
    await g?.close()
    await idp?.close()
    await sqlite.cleanup()
  })

  /** A rewrap body (no signature: the token authenticates) and the headers of a token + proof for it. */
  async function tokenRequest(token: string, proofKey = key, roles = ['analysts']) {
    const body = JSON.stringify({ request: b64u(rawRequest({ roles }).bytes) })
    const bodyDigest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body)))
    const dpop = await dpopProof({ key: proofKey, method: 'POST', url: `${g.url}/v1/rewrap`, token, bodyDigest })
    return { body, headers: { 'content-type': 'application/json', authorization: `DPoP ${token}`, dpop } }
  }

  async function send(body: string, headers: Record<string, string>) {
    const res = await fetch(`${g.url}/v1/rewrap`, { method: 'POST', headers, body })
    return { status: res.status, json: (await res.json()) as { error?: { code: string; message: string } } }
  }

  it('grants an entitled OIDC principal', async () => {
    expect((await admin(g.url, { action: 'grant', principal, role: 'analysts', dataset: 'sales' })).status).toBe(200)
    const r = await tokenRequest(await idp.token(AUDIENCE, key))
    const res = await send(r.body, r.headers)
    expect(res.status).toBe(200)
    expect((res.json as { rolesGranted?: string[] }).rolesGranted).toEqual(['analysts'])
  })

  it('keyAccessClient with dpopHeaders gets the keys as the OIDC principal, with a receipt', async () => {
    let calls = 0
    const client = keyAccessClient({
      url: g.url,
      gatewayKey: gatewayId.publicKey,
      headers: dpopHeaders({
        key,
        token: () => {
          calls++
          return idp.token(AUDIENCE, key)
        },
      }),
    })
    const h = headers[0]!
    const r = await client.requestKeys({
      header: h.header,
      headerDigest: h.view.headerDigest,
      streamId: h.view.streamId,
      service: { url: g.url, dataset: 'sales', roles: ['analysts'] },
      identity: readerId,
    })
    expect(r.rolesGranted).toEqual(['analysts'])
    expect([...r.groupKeys.keys()]).toEqual([1])
    expect(r.receipt?.entry.length).toBeGreaterThan(0)
    expect(calls).toBe(1)
    // The audit entry names the OIDC subject, not the reader's key.
    const { decodeAuditEvent } = await import('../../src/audit/event.js')
    expect(decodeAuditEvent(r.receipt!.entry).who).toMatchObject({ oidc: { issuer: idp.issuer, subject: CLIENT_ID } })
  })

  it('refuses a token for another audience with 401 KAS_UNAUTHENTICATED', async () => {
    const r = await tokenRequest(await idp.token(OTHER, key))
    const res = await send(r.body, r.headers)
    expect([res.status, res.json.error?.code]).toEqual([401, 'KAS_UNAUTHENTICATED'])
    expect(res.json.error?.message).toMatch(/another audience/)
  })

  it('refuses a token without its key proof with 401 KAS_UNAUTHENTICATED', async () => {
    const r = await tokenRequest(await idp.token(AUDIENCE, key))
    const { dpop: _dropped, ...withoutProof } = r.headers
    const res = await send(r.body, withoutProof)
    expect([res.status, res.json.error?.code]).toEqual([401, 'KAS_UNAUTHENTICATED'])
    expect(res.json.error?.message).toMatch(/no DPoP proof/)
  })

  it('refuses a stolen token presented with the thief’s own proof', async () => {
    const thief = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
    const r = await tokenRequest(await idp.token(AUDIENCE, key), thief)
    const res = await send(r.body, r.headers)
    expect([res.status, res.json.error?.code]).toEqual([401, 'KAS_UNAUTHENTICATED'])
    expect(res.json.error?.message).toMatch(/another key/)
  })

  it('refuses a proof moved to another request body, and a replayed request', async () => {
    const token = await idp.token(AUDIENCE, key)
    const a = await tokenRequest(token)
    const b = await tokenRequest(token)
    const moved = await send(b.body, a.headers)
    expect([moved.status, moved.json.error?.code]).toEqual([401, 'KAS_UNAUTHENTICATED'])
    expect(moved.json.error?.message).toMatch(/another request body/)
    expect((await send(a.body, a.headers)).status).toBe(200)
    const again = await send(a.body, a.headers)
    expect([again.status, again.json.error?.code]).toEqual([409, 'KAS_REPLAYED'])
  })

  it('suspends an OIDC principal after a burst of denials, as configured', async () => {
    const token = await idp.token(AUDIENCE, key)
    // Not entitled to "support": each request is a denial; the fourth trips the burst and suspends.
    for (let i = 0; i < 4; i++) {
      const r = await tokenRequest(token, key, ['support'])
      expect((await send(r.body, r.headers)).json.error?.code).toBe('KAS_DENIED')
    }
    const r = await tokenRequest(token)
    const res = await send(r.body, r.headers)
    expect([res.status, res.json.error?.code]).toEqual([403, 'KAS_SUSPENDED'])
    await admin(g.url, { action: 'unsuspend', principal })
    const ok = await tokenRequest(token)
    expect((await send(ok.body, ok.headers)).status).toBe(200)
  })
})
