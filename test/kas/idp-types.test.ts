// Every public entry of the identity-provider and monitoring modules, fed the shared list of wrongly typed values:
// each one is refused with a TypeError or RangeError (API misuse), never accepted and never a crash of another kind.
import { describe, expect, it } from 'vitest'
import { createAnomalyMonitor } from '../../src/kas/anomaly.js'
import { dpopHeaders, dpopProof } from '../../src/kas/dpop.js'
import { createOidcAuthenticator } from '../../src/kas/oidc.js'
import { createThrottle } from '../../src/kas/throttle.js'
import type { DecisionObservation, TokenAuthInput } from '../../src/kas/types.js'
import { label, NOT_STRING, TYPE_TEST } from '../keys/helpers.js'

const NOT_NUMBER = TYPE_TEST.filter((v) => v !== undefined && typeof v !== 'number')
const NOT_OBJECT = TYPE_TEST.filter((v) => v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v)))

function misuse(current: unknown, fn: () => unknown): void {
  let thrown: unknown
  try {
    fn()
  } catch (e) {
    thrown = e
  }
  expect(thrown instanceof TypeError || thrown instanceof RangeError, `${String(thrown)} for ${label(current)}`).toBe(
    true,
  )
}

async function misuseAsync(current: unknown, fn: () => Promise<unknown>): Promise<void> {
  const thrown = await fn().then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(thrown instanceof TypeError || thrown instanceof RangeError, `${String(thrown)} for ${label(current)}`).toBe(
    true,
  )
}

describe('wrongly typed values at every entry', () => {
  it('createThrottle and take', () => {
    for (const v of NOT_OBJECT) misuse(v, () => createThrottle(v as never))
    for (const v of NOT_OBJECT) misuse(v, () => createThrottle({ perPrincipal: v as never }))
    for (const v of NOT_NUMBER) {
      misuse(v, () => createThrottle({ perPrincipal: { rate: v as never } }))
      misuse(v, () => createThrottle({ perSource: { burst: v as never } }))
      misuse(v, () => createThrottle({ maxKeys: v as never }))
    }
    const th = createThrottle()
    for (const v of NOT_STRING.filter((x) => x !== null)) misuse(v, () => th.take(v as never, 's', 0))
    for (const v of NOT_STRING) misuse(v, () => th.take('p', v as never, 0))
    for (const v of [...NOT_NUMBER, undefined, Number.NaN, Number.POSITIVE_INFINITY]) {
      misuse(v, () => th.take('p', 's', v as never))
    }
  })

  it('createAnomalyMonitor and observe', () => {
    for (const v of NOT_OBJECT) misuse(v, () => createAnomalyMonitor(v as never))
    for (const section of ['denialBurst', 'fanOut', 'rate'] as const) {
      for (const v of NOT_OBJECT) misuse(v, () => createAnomalyMonitor({ [section]: v }))
    }
    for (const v of NOT_NUMBER) {
      misuse(v, () => createAnomalyMonitor({ denialBurst: { count: v as never } }))
      misuse(v, () => createAnomalyMonitor({ fanOut: { windowSeconds: v as never } }))
      misuse(v, () => createAnomalyMonitor({ rate: { minRate: v as never } }))
      misuse(v, () => createAnomalyMonitor({ maxPrincipals: v as never }))
    }
    for (const v of TYPE_TEST.filter((x) => x !== undefined && !Array.isArray(x))) {
      misuse(v, () => createAnomalyMonitor({ suspendOn: v as never }))
    }
    const m = createAnomalyMonitor()
    const good: DecisionObservation = {
      time: 0,
      principal: 'p',
      source: 's',
      roles: ['r'],
      decision: 'grant',
      reason: 'ENTITLED',
    }
    expect(m.observe(good)).toEqual([])
    for (const v of TYPE_TEST) misuse(v, () => m.observe(v as never))
    for (const v of [...NOT_NUMBER, undefined]) misuse(v, () => m.observe({ ...good, time: v as never }))
    for (const v of NOT_STRING) misuse(v, () => m.observe({ ...good, principal: v as never }))
    for (const v of NOT_STRING) misuse(v, () => m.observe({ ...good, reason: v as never }))
    for (const v of NOT_STRING.filter((x) => x !== undefined))
      misuse(v, () => m.observe({ ...good, stream: v as never }))
    for (const v of TYPE_TEST.filter((x) => !Array.isArray(x) || x.length > 0)) {
      misuse(v, () => m.observe({ ...good, roles: v as never }))
    }
  })

  it('createOidcAuthenticator and authenticate', async () => {
    for (const v of TYPE_TEST) misuse(v, () => createOidcAuthenticator(v as never))
    for (const v of TYPE_TEST) misuse(v, () => createOidcAuthenticator({ issuers: v as never }))
    for (const v of TYPE_TEST) misuse(v, () => createOidcAuthenticator({ issuers: [v as never] }))
    for (const v of NOT_STRING) {
      misuse(v, () => createOidcAuthenticator({ issuers: [{ issuer: v as never, audience: 'a' }] }))
      misuse(v, () => createOidcAuthenticator({ issuers: [{ issuer: 'https://i.example', audience: v as never }] }))
    }
    for (const v of NOT_NUMBER) {
      misuse(v, () =>
        createOidcAuthenticator({
          issuers: [{ issuer: 'https://i.example', audience: 'a' }],
          clockToleranceSeconds: v as never,
        }),
      )
    }
    const auth = createOidcAuthenticator({ issuers: [{ issuer: 'https://i.example', audience: 'a' }] })
    const good: TokenAuthInput = {
      authorization: 'DPoP a.b.c',
      dpop: 'a.b.c',
      method: 'POST',
      url: 'https://kas.example/v1/rewrap',
      bodyDigest: new Uint8Array(32),
      now: 0,
    }
    for (const v of TYPE_TEST) await misuseAsync(v, () => auth.authenticate(v as never))
    for (const v of NOT_STRING) await misuseAsync(v, () => auth.authenticate({ ...good, method: v as never }))
    for (const v of TYPE_TEST) await misuseAsync(v, () => auth.authenticate({ ...good, url: v as never }))
    for (const v of TYPE_TEST) await misuseAsync(v, () => auth.authenticate({ ...good, bodyDigest: v as never }))
    for (const v of [...NOT_NUMBER, undefined, Number.NaN])
      await misuseAsync(v, () => auth.authenticate({ ...good, now: v as never }))
  })

  it('dpopProof and dpopHeaders', async () => {
    const key = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
    const good = { key, method: 'POST', url: 'https://kas.example/v1/rewrap' }
    await expect(dpopProof(good)).resolves.toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    for (const v of TYPE_TEST) await misuseAsync(v, () => dpopProof(v as never))
    for (const v of TYPE_TEST) await misuseAsync(v, () => dpopProof({ ...good, key: v as never }))
    for (const v of NOT_STRING) await misuseAsync(v, () => dpopProof({ ...good, method: v as never }))
    for (const v of TYPE_TEST) await misuseAsync(v, () => dpopProof({ ...good, url: v as never }))
    for (const v of NOT_STRING.filter((x) => x !== undefined))
      await misuseAsync(v, () => dpopProof({ ...good, token: v as never }))
    for (const v of TYPE_TEST.filter((x) => x !== undefined)) {
      await misuseAsync(v, () => dpopProof({ ...good, bodyDigest: v as never }))
    }
    for (const v of [...NOT_NUMBER, Number.NaN]) await misuseAsync(v, () => dpopProof({ ...good, now: v as never }))
    for (const v of TYPE_TEST) misuse(v, () => dpopHeaders(v as never))
    for (const v of TYPE_TEST) misuse(v, () => dpopHeaders({ key: v as never, token: 't' }))
    for (const v of TYPE_TEST.filter((x) => typeof x !== 'string' && typeof x !== 'function')) {
      misuse(v, () => dpopHeaders({ key, token: v as never }))
    }
    expect(label(Symbol('x'))).toBe('symbol')
  })
})
