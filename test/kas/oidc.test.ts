// OIDC + DPoP token authentication against a real OpenID provider (oidc-provider) started on 127.0.0.1.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import fc from 'fast-check'
import { base64url, decodeJwt, exportJWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeyAccessError } from '../../src/errors.js'
import { dpopProof } from '../../src/kas/dpop.js'
import { createOidcAuthenticator } from '../../src/kas/oidc.js'
import type { TokenAuthenticator, TokenAuthInput } from '../../src/kas/types.js'
import { CLIENT_ID, startIdp, type TestIdp } from './oidc-idp.js'

const GATEWAY = 'https://kas.test'
const OTHER = 'https://other-service.test'
const URL_ = 'https://kas.test/v1/rewrap'
const BODY = new TextEncoder().encode('{"request":"AAAA"}')

let idp: TestIdp
let stranger: TestIdp
let auth: TokenAuthenticator
let key: CryptoKeyPair
let otherKey: CryptoKeyPair
let bodyDigest: Uint8Array
let token: string
// Every credential the tests used, to check that none ever shows in an error.
const credentials: string[] = []

beforeAll(async () => {
  idp = await startIdp([GATEWAY, OTHER])
  stranger = await startIdp([GATEWAY])
  auth = createOidcAuthenticator({ issuers: [{ issuer: idp.issuer, audience: GATEWAY }] })
  key = await newKey()
  otherKey = await newKey()
  bodyDigest = new Uint8Array(await crypto.subtle.digest('SHA-256', BODY))
  token = await idp.token(GATEWAY, key)
  credentials.push(token)
})

afterAll(async () => {
  await idp?.close()
  await stranger?.close()
})

function newKey(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
}

async function input(over: Partial<TokenAuthInput> & { proof?: Partial<Parameters<typeof dpopProof>[0]> } = {}) {
  const now = over.now ?? Date.now()
  const t = over.authorization === undefined ? token : over.authorization.replace(/^\S+ /, '')
  const dpop =
    'dpop' in over
      ? over.dpop
      : await dpopProof({ key, method: 'POST', url: URL_, token: t, bodyDigest, now, ...over.proof })
  if (dpop) credentials.push(dpop)
  const i: TokenAuthInput = {
    authorization: over.authorization ?? `DPoP ${token}`,
    dpop,
    method: over.method ?? 'POST',
    url: over.url ?? URL_,
    bodyDigest: over.bodyDigest ?? bodyDigest,
    now,
  }
  return i
}

async function refusal(p: Promise<unknown>, code = 'KAS_UNAUTHENTICATED'): Promise<KeyAccessError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(KeyAccessError)
  const e = err as KeyAccessError
  expect(e.code).toBe(code)
  const shown = `${e.message} ${inspect(e, { depth: 5 })} ${JSON.stringify(e)} ${String(e)}`
  for (const c of credentials) {
    for (const part of c.split('.')) if (part.length >= 8) expect(shown).not.toContain(part)
  }
  return e
}

describe('createOidcAuthenticator against a real OpenID provider', () => {
  it('accepts a DPoP-bound access token with its proof (keys found by discovery)', async () => {
    const r = await auth.authenticate(await input())
    expect(r).toEqual({
      principal: `oidc:${idp.issuer}#${CLIENT_ID}`,
      oidc: { issuer: idp.issuer, subject: CLIENT_ID },
    })
  })

  it('accepts a configured jwksUri, an Ed25519 proof key and a lower-case scheme', async () => {
    const a = createOidcAuthenticator({
      issuers: [{ issuer: idp.issuer, audience: GATEWAY, jwksUri: `${idp.issuer}/jwks` }],
    })
    const ed = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair
    const t = await idp.token(GATEWAY, ed)
    credentials.push(t)
    const i = await input({ authorization: `dpop ${t}`, proof: { key: ed } })
    expect((await a.authenticate(i)).principal).toBe(`oidc:${idp.issuer}#${CLIENT_ID}`)
  })

  it('refuses a token for another audience', async () => {
    const t = await idp.token(OTHER, key)
    credentials.push(t)
    const e = await refusal(auth.authenticate(await input({ authorization: `DPoP ${t}` })))
    expect(e.message).toMatch(/another audience/)
  })

  it('refuses a token without its key proof', async () => {
    const e = await refusal(auth.authenticate(await input({ dpop: undefined })))
    expect(e.message).toMatch(/no DPoP proof/)
    await refusal(auth.authenticate(await input({ dpop: '' })))
  })

  it('refuses a proof by another key than the token is bound to', async () => {
    const e = await refusal(auth.authenticate(await input({ proof: { key: otherKey } })))
    expect(e.message).toMatch(/another key/)
  })

  it('refuses a bearer token (not bound to a key), whatever the scheme', async () => {
    const bearer = await idp.token(GATEWAY)
    credentials.push(bearer)
    expect(decodeJwt(bearer)['cnf']).toBeUndefined()
    const e = await refusal(auth.authenticate(await input({ authorization: `DPoP ${bearer}` })))
    expect(e.message).toMatch(/not bound to a key/)
    const b = await refusal(auth.authenticate(await input({ authorization: `Bearer ${bearer}` })))
    expect(b.message).toMatch(/scheme must be DPoP/)
  })

  it('refuses an expired token', async () => {
    const exp = decodeJwt(token).exp!
    const now = (exp + 61) * 1000 // past the default 60 s tolerance; the proof is fresh at that time
    const e = await refusal(auth.authenticate(await input({ now })))
    expect(e.message).toMatch(/expired/)
  })

  it('accepts a token just inside the clock tolerance', async () => {
    const exp = decodeJwt(token).exp!
    expect((await auth.authenticate(await input({ now: (exp + 59) * 1000 }))).oidc.subject).toBe(CLIENT_ID)
  })

  it('refuses a token of an issuer it does not trust (a second real provider)', async () => {
    const t = await stranger.token(GATEWAY, key)
    credentials.push(t)
    const e = await refusal(auth.authenticate(await input({ authorization: `DPoP ${t}` })))
    expect(e.message).toMatch(/does not trust/)
  })

  it('refuses a token whose iss is forged to a trusted issuer (signed by another key)', async () => {
    const forged = await new SignJWT({ sub: 'mallory', aud: GATEWAY, cnf: { jkt: 'x' } })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'es' })
      .setIssuer(idp.issuer)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign((await newKey()).privateKey)
    const e = await refusal(auth.authenticate(await input({ authorization: `DPoP ${forged}` })))
    expect(e.message).toMatch(/signature does not verify/)
  })

  it('refuses a token with a changed claim (signature check)', async () => {
    const [h, p, s] = token.split('.') as [string, string, string]
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(p)))
    claims.sub = 'admin'
    const t = `${h}.${base64url.encode(JSON.stringify(claims))}.${s}`
    const e = await refusal(auth.authenticate(await input({ authorization: `DPoP ${t}` })))
    expect(e.message).toMatch(/signature does not verify/)
  })

  it('refuses a proof for another body, URL, method or token', async () => {
    const other = new Uint8Array(32).fill(7)
    expect((await refusal(auth.authenticate(await input({ proof: { bodyDigest: other } })))).message).toMatch(/body/)
    expect(
      (await refusal(auth.authenticate(await input({ proof: { url: 'https://kas.test/v1/admin' } })))).message,
    ).toMatch(/another URL/)
    expect((await refusal(auth.authenticate(await input({ proof: { method: 'PUT' } })))).message).toMatch(/method/)
    expect((await refusal(auth.authenticate(await input({ proof: { token: 'a.b.c' } })))).message).toMatch(
      /access token/,
    )
    // A proof with no body commitment or no token hash at all.
    expect((await refusal(auth.authenticate(await input({ proof: { bodyDigest: undefined } })))).message).toMatch(/bsh/)
    expect((await refusal(auth.authenticate(await input({ proof: { token: undefined } })))).message).toMatch(/ath/)
  })

  it('ignores the query and fragment of htu (RFC 9449 §4.3) but not the path', async () => {
    const i = await input({ proof: { url: `${URL_}?x=1#y` } })
    await expect(auth.authenticate(i)).resolves.toBeTruthy()
  })

  it('refuses a proof used twice', async () => {
    const i = await input()
    await auth.authenticate(i)
    await refusal(auth.authenticate(i), 'KAS_REPLAYED')
  })

  it('refuses a proof too old or from the future', async () => {
    const now = Date.now()
    const old = await input({ now, proof: { now: now - 61_000 } })
    expect((await refusal(auth.authenticate(old))).message).toMatch(/too old/)
    const future = await input({ now, proof: { now: now + 61_000 } })
    expect((await refusal(auth.authenticate(future))).message).toMatch(/future/)
  })

  it('refuses hostile proofs: wrong typ, a symmetric or none alg, a private key in jwk, no jti, garbage', async () => {
    const now = Date.now()
    const ath = base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))))
    const claims = { jti: 'j1', htm: 'POST', htu: URL_, ath, bsh: base64url.encode(bodyDigest) }
    const exportable = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])
    const jwk = await exportJWK(exportable.publicKey)
    const sign = (header: Record<string, unknown>, c: Record<string, unknown> = claims) =>
      new SignJWT(c)
        .setProtectedHeader({ alg: 'ES256', ...header })
        .setIssuedAt(Math.floor(now / 1000))
        .sign(exportable.privateKey)
    const cases: [string, RegExp][] = [
      [await sign({ typ: 'JWT', jwk }), /typ/],
      [await sign({ typ: 'dpop+jwt', jwk: await exportJWK(exportable.privateKey) }), /malformed/],
      [await sign({ typ: 'dpop+jwt', jwk }, { ...claims, jti: undefined }), /jti/],
      [await sign({ typ: 'dpop+jwt' }), /malformed/],
      [
        await new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'AAAA' } as never })
          .setIssuedAt()
          .sign(new Uint8Array(32)),
        /algorithm/,
      ],
      [`${base64url.encode('{"alg":"none","typ":"dpop+jwt"}')}.${base64url.encode(JSON.stringify(claims))}.`, /JWS/],
      ['not a jwt', /JWS/],
      [`${token}, ${token}`, /JWS/],
    ]
    for (const [proof, reason] of cases) {
      const e = await refusal(auth.authenticate(await input({ now, dpop: proof })))
      expect(e.message).toMatch(reason)
    }
    // Still accepted with the thumbprint of this exportable key once the token is bound to it: the checks above
    // failed for the reasons named, not because the key was foreign.
  })

  it('refuses malformed authorization headers', async () => {
    for (const a of ['', 'DPoP', 'DPoP  ', 'DPoP a.b', `DPoP ${token} extra`, `DPoP ${'a'.repeat(20_000)}.b.c`]) {
      await refusal(auth.authenticate(await input({ authorization: a, dpop: 'x.y.z' })))
    }
  })

  it('never accepts a token or proof with one character changed (fast-check)', async () => {
    const proofBase = await input()
    const mutate = (s: string, at: number, c: string) => {
      // The last character of a segment can hold unused bits; a change there may decode to the same bytes.
      const segEnds = new Set([s.indexOf('.') - 1, s.lastIndexOf('.') - 1, s.length - 1])
      if (segEnds.has(at) || s[at] === '.' || s[at] === c) return null
      return s.slice(0, at) + c + s.slice(at + 1)
    }
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.nat(),
        fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
        async (inToken, n, c) => {
          const target = inToken ? token : proofBase.dpop!
          const changed = mutate(target, n % target.length, c)
          if (changed === null) return
          const i = inToken
            ? { ...proofBase, authorization: `DPoP ${changed}` }
            : { ...proofBase, dpop: changed, now: proofBase.now }
          await expect(auth.authenticate(i)).rejects.toBeInstanceOf(KeyAccessError)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('says the issuer is unavailable when its keys cannot be fetched, and recovers', async () => {
    const dead = createServer()
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r))
    const port = (dead.address() as AddressInfo).port
    await new Promise<void>((r) => dead.close(() => r()))
    const a = createOidcAuthenticator({
      issuers: [{ issuer: idp.issuer, audience: GATEWAY, jwksUri: `http://127.0.0.1:${port}/jwks` }],
    })
    await refusal(a.authenticate(await input()), 'KAS_UNAVAILABLE')
  })

  /** Runs `fn` against a fake issuer served by `handler`, with a token that names it (signed by some key). */
  async function withFakeIssuer(
    handler: Parameters<typeof createServer>[1],
    fn: (a: TokenAuthenticator, token: string) => Promise<void>,
  ): Promise<void> {
    const server: Server = createServer(handler)
    try {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const a = createOidcAuthenticator({ issuers: [{ issuer, audience: GATEWAY }] })
      const forged = await new SignJWT({ sub: 's', aud: GATEWAY })
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(issuer)
        .setExpirationTime('1m')
        .sign(key.privateKey)
      await fn(a, forged)
    } finally {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    }
  }

  it('refuses a discovery document that names another issuer', async () => {
    await withFakeIssuer(
      (_req, res) => {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ issuer: idp.issuer, jwks_uri: `${idp.issuer}/jwks` }))
      },
      async (a, forged) => {
        const e = await refusal(a.authenticate(await input({ authorization: `DPoP ${forged}` })), 'KAS_UNAVAILABLE')
        expect(e.message).toMatch(/another issuer/)
      },
    )
  })

  it('refuses an oversized discovery document without reading it all', async () => {
    let served = 0
    await withFakeIssuer(
      (_req, res) => {
        res.setHeader('content-type', 'application/json')
        // No content-length: the limit must hold while reading, too.
        const chunk = ' '.repeat(64 * 1024)
        const write = () => {
          while (served < 64 * 1024 * 1024 && res.write(chunk)) served += chunk.length
          if (served < 64 * 1024 * 1024) res.once('drain', write)
          else res.end('{}')
        }
        write()
      },
      async (a, forged) => {
        const e = await refusal(a.authenticate(await input({ authorization: `DPoP ${forged}` })), 'KAS_UNAVAILABLE')
        expect(e.message).toMatch(/discovery failed/)
        expect(served).toBeLessThan(64 * 1024 * 1024)
      },
    )
  })

  it('validates its configuration', () => {
    expect(() => createOidcAuthenticator({ issuers: [] })).toThrow(TypeError)
    expect(() => createOidcAuthenticator({ issuers: [{ issuer: 'http://idp.example', audience: GATEWAY }] })).toThrow(
      /https/,
    )
    expect(() =>
      createOidcAuthenticator({ issuers: [{ issuer: 'https://idp.example/#x', audience: GATEWAY }] }),
    ).toThrow(/fragment/)
    expect(() => createOidcAuthenticator({ issuers: [{ issuer: 'https://idp.example', audience: '' }] })).toThrow(
      /audience/,
    )
    const twice = { issuer: 'https://idp.example', audience: GATEWAY }
    expect(() => createOidcAuthenticator({ issuers: [twice, twice] })).toThrow(/twice/)
    expect(() => createOidcAuthenticator({ issuers: [twice], clockToleranceSeconds: -1 })).toThrow(RangeError)
  })
})
