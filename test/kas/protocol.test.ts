// The request codec and the sealed answer: round trips, canonical decoding, and fuzzing of the parser with
// fast-check (random bytes and mutations of valid requests never crash it: a typed KAS_REQUEST_INVALID or a
// request that re-encodes to the same bytes).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KeyAccessError } from '../../src/errors.js'
import {
  b64u,
  createRequestSession,
  credentialCache,
  decodeRequest,
  encodeRequest,
  ephemeralKey,
  fromB64u,
  type KasRequest,
  openResponse,
  sealResponse,
  signRequest,
  verifyRequestAuth,
} from '../../src/kas/protocol.js'
import { identityFromSeed } from '../../src/keys/identity.js'
import { nobleEd25519 } from '../../src/keys/sign.js'

const eph = ephemeralKey()
const base: KasRequest = {
  version: 1,
  nonce: new Uint8Array(16).fill(1),
  time: 1_764_763_200_000,
  audience: new Uint8Array(32).fill(2),
  streamId: new Uint8Array(16).fill(3),
  headerDigest: new Uint8Array(32).fill(4),
  roles: ['analysts', 'support'],
  ephemeralKey: eph.publicKey,
  header: new Uint8Array(100).fill(5),
}
const valid = encodeRequest(base)

function parsesOrRefuses(bytes: Uint8Array): void {
  try {
    const r = decodeRequest(bytes)
    expect(Buffer.from(encodeRequest(r)).equals(Buffer.from(bytes))).toBe(true)
  } catch (err) {
    expect(err).toBeInstanceOf(KeyAccessError)
    expect((err as KeyAccessError).code).toBe('KAS_REQUEST_INVALID')
  }
}

describe('kas request codec', () => {
  it('round-trips and sorts roles', () => {
    const r = decodeRequest(valid)
    expect(r.roles).toEqual(['analysts', 'support'])
    expect(Buffer.from(r.header).equals(Buffer.from(base.header))).toBe(true)
    expect(encodeRequest({ ...base, roles: ['support', 'analysts'] })).toEqual(valid)
  })

  it('refuses trailing bytes, unsorted roles, a short nonce and another version', () => {
    const code = (b: Uint8Array) => () => decodeRequest(b)
    expect(code(Uint8Array.from([...valid, 0]))).toThrow(KeyAccessError)
    const v2 = valid.slice()
    v2[4] = 2
    expect(code(v2)).toThrow(/version 2/)
    const shortNonce = valid.slice()
    shortNonce[5] = 8
    expect(code(shortNonce)).toThrow(KeyAccessError)
    // Swap the two roles' names in place (same lengths would be needed): build by hand instead.
    const unsorted = encodeRequest({ ...base, roles: ['a1', 'b1'] })
    const at = Buffer.from(unsorted).indexOf(Buffer.from('a1'))
    unsorted.set(Buffer.from('b1'), at)
    unsorted.set(Buffer.from('a1'), at + 3)
    expect(code(unsorted)).toThrow(/ascending/)
  })

  it('fuzz: random bytes never crash the parser', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (b) => parsesOrRefuses(b)),
      { numRuns: 300 },
    )
  })

  it('fuzz: mutations of a valid request (byte flips, cuts, insertions) are refused or re-encode exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.nat(valid.length),
        fc.boolean(),
        (flips, cut, doCut) => {
          const b = valid.slice()
          for (const [i, v] of flips) b[i] = v
          parsesOrRefuses(doCut ? b.subarray(0, cut) : b)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('base64url is canonical', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(fromB64u(b64u(b))).toEqual(b)
      }),
    )
    expect(fromB64u('_x')).toBeNull() // non-zero padding bits
    expect(fromB64u('a')).toBeNull()
    expect(fromB64u('ab==')).toBeNull()
  })

  it('the sealed answer opens only with the request it answers and the ephemeral key it was sealed to', () => {
    const keys = new Map([[1, new Uint8Array(32).fill(9)]])
    const sealed = sealResponse(eph.publicKey, valid, keys)
    expect(openResponse(eph, valid, sealed).get(1)).toEqual(new Uint8Array(32).fill(9))
    const other = Uint8Array.from([...valid.subarray(0, valid.length - 1), 6])
    expect(() => openResponse(eph, other, sealed)).toThrow(/does not open/)
    expect(() => openResponse(ephemeralKey(), valid, sealed)).toThrow(/does not open/)
    const flipped = sealed.slice()
    flipped[flipped.length - 1]! ^= 1
    expect(() => openResponse(eph, valid, flipped)).toThrow(KeyAccessError)
  })
})

describe('verified-session cache (verifyRequestAuth)', () => {
  const reader = identityFromSeed(new Uint8Array(32).fill(41))
  const other = identityFromSeed(new Uint8Array(32).fill(42))
  const t0 = 1_764_763_200_000
  const session = createRequestSession(reader, 600, nobleEd25519, t0)
  const auth = (bytes: Uint8Array, publicKey = reader.publicKey) => ({ ...signRequest(bytes, session), publicKey })
  const code = (f: () => unknown) => {
    try {
      f()
      return 'ok'
    } catch (err) {
      return (err as KeyAccessError).code
    }
  }

  it('a hit still checks the request signature and the credential window on every request', () => {
    const cache = credentialCache(10)
    expect(verifyRequestAuth(auth(valid), valid, t0, { cache }).fingerprint).toEqual(reader.fingerprint)
    // Cached now: another request of the session passes; a forged signature and an expired credential do not.
    const other1 = encodeRequest({ ...base, nonce: new Uint8Array(16).fill(9) })
    expect(code(() => verifyRequestAuth(auth(other1), other1, t0 + 1000, { cache }))).toBe('ok')
    const forged = { ...auth(other1), signature: auth(valid).signature }
    expect(code(() => verifyRequestAuth(forged, other1, t0, { cache }))).toBe('KAS_UNAUTHENTICATED')
    expect(code(() => verifyRequestAuth(auth(valid), valid, t0 + 3_600_000, { cache }))).toBe('KAS_UNAUTHENTICATED')
  })

  it("a cached credential presented under another reader's key is checked from scratch and refused", () => {
    const cache = credentialCache(10)
    verifyRequestAuth(auth(valid), valid, t0, { cache })
    // The session key signs for real; only the certificate binds it to `reader`, not to `other`.
    expect(code(() => verifyRequestAuth(auth(valid, other.publicKey), valid, t0, { cache }))).toBe(
      'KAS_UNAUTHENTICATED',
    )
    expect(verifyRequestAuth(auth(valid), valid, t0, { cache }).fingerprint).toEqual(reader.fingerprint)
  })

  it('is bounded: the oldest credential goes first', () => {
    const cache = credentialCache(2)
    const s = [0, 1, 2].map(() => createRequestSession(reader, 600, nobleEd25519, t0))
    for (const x of s) cache.add(reader.publicKey, b64u(x.credential), { key: reader.publicKeyObject } as never)
    expect(cache.get(reader.publicKey, b64u(s[0]!.credential))).toBeUndefined()
    expect(cache.get(reader.publicKey, b64u(s[2]!.credential))).toBeDefined()
  })
})
