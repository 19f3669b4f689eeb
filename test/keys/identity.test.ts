import { inspect } from 'node:util'
import { ed25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js'
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { KeyError } from '../../src/errors.js'
import { bech32Decode, bech32Encode } from '../../src/keys/bech32.js'
import {
  exportIdentity,
  generateIdentity,
  Identity,
  identityFromSeed,
  importIdentity,
  PublicKey,
  parsePublicKey,
  publicKeyFromBytes,
} from '../../src/keys/index.js'
import { label, NOT_BYTES, NOT_STRING, TYPE_TEST, toHex } from './helpers.js'

const SEED = new Uint8Array(32).map((_, i) => i)
// Frozen golden values for SEED (format v1). If these change, every existing key changes: bump the version.
const GOLDEN = {
  keyId: 'cb84a42ec6ea2545',
  fingerprint: 'cb84a42ec6ea2545e75b6eed3b7487a9cdd23175795a0d6bd1520b668d566089',
  publicKeySha256: '4c825ca8762477f6672c7328784dda490646d33744bce2e60c043b7c98efc76d',
  secret: 'ASEAL-SECRET-KEY-1QYQQZQSRQSZSVPCGPY9QKRQDPC83QYGJZV2P29SHRQV35XCUR50P7XGNEKY',
}

let id: Identity
beforeAll(() => {
  id = identityFromSeed(SEED)
})

describe('identity derivation (spec check, independent of the implementation)', () => {
  it('derives the public key exactly as docs/format.md says', () => {
    const sub = (info: string) => hkdf(sha256, SEED, new Uint8Array(0), utf8ToBytes(info), 32)
    const xw = ml_kem768_x25519.keygen(sub('arrowseal/v1 identity xwing')).publicKey
    const ed = ed25519.getPublicKey(sub('arrowseal/v1 identity ed25519'))
    const pq = ml_dsa65.keygen(sub('arrowseal/v1 identity ml-dsa-65')).publicKey
    const payload = concatBytes(new Uint8Array([1]), xw, ed, pq)
    expect(payload).toHaveLength(3201)
    expect(id.publicKey).toBe(bech32Encode('aseal', payload))
    expect(id.publicKey.startsWith('aseal1')).toBe(true)
    const fp = sha256(concatBytes(utf8ToBytes('arrowseal/v1 key id'), new Uint8Array([0]), payload))
    expect(id.fingerprint).toEqual(fp)
    expect(id.keyId).toBe(toHex(fp.subarray(0, 8)))
    expect(exportIdentity(id)).toBe(bech32Encode('ASEAL-SECRET-KEY-', concatBytes(new Uint8Array([1]), SEED), true))
  })

  it('matches the frozen golden values', () => {
    expect(id.keyId).toBe(GOLDEN.keyId)
    expect(toHex(id.fingerprint)).toBe(GOLDEN.fingerprint)
    expect(toHex(sha256(utf8ToBytes(id.publicKey)))).toBe(GOLDEN.publicKeySha256)
    expect(exportIdentity(id)).toBe(GOLDEN.secret)
    expect(GOLDEN.secret.startsWith('ASEAL-SECRET-KEY-1')).toBe(true)
  })

  it('does not alias the caller seed', () => {
    const seed = SEED.slice()
    const a = identityFromSeed(seed)
    seed.fill(0)
    expect(exportIdentity(a)).toBe(GOLDEN.secret)
  })
})

describe('export / import', () => {
  it('round-trips a generated identity', async () => {
    const a = await generateIdentity()
    const text = exportIdentity(a)
    expect(text).toMatch(/^ASEAL-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]+$/)
    const b = await importIdentity(text)
    expect(b.publicKey).toBe(a.publicKey)
    expect(b.keyId).toBe(a.keyId)
    expect(b).not.toBe(a)
    expect((await importIdentity(text.toLowerCase())).publicKey).toBe(a.publicKey)
  })

  it('generates different identities', async () => {
    const [a, b] = await Promise.all([generateIdentity(), generateIdentity()])
    expect(a.publicKey).not.toBe(b.publicKey)
  })

  it('rejects bad secret texts with precise KeyErrors that never echo the text', async () => {
    const good = GOLDEN.secret
    const cases: [string, RegExp][] = [
      [id.publicKey, /wrong prefix/],
      [`X${good.slice(1)}`, /wrong prefix/],
      [good.slice(0, -1) + (good.endsWith('Y') ? 'Q' : 'Y'), /checksum/],
      [good.slice(0, 20) + good.slice(20).toLowerCase(), /mixes upper and lower/],
      [bech32Encode('ASEAL-SECRET-KEY-', concatBytes(new Uint8Array([2]), SEED), true), /unsupported version 2/],
      [
        bech32Encode('ASEAL-SECRET-KEY-', concatBytes(new Uint8Array([1]), SEED, new Uint8Array([0])), true),
        /34 bytes, expected 33/,
      ],
      [bech32Encode('ASEAL-SECRET-KEY-', new Uint8Array([1]), true), /1 bytes, expected 33/],
      [bech32Encode('ASEAL-SECRET-KEY-', new Uint8Array(0), true), /empty/],
      ['', /missing prefix/],
    ]
    for (const [text, re] of cases) {
      const err = await importIdentity(text).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err, text.slice(0, 20)).toBeInstanceOf(KeyError)
      expect((err as KeyError).code).toBe('KEY_INVALID')
      expect((err as Error).message).toMatch(re)
      expect((err as Error).message.startsWith('secret key:')).toBe(true)
      const body = text.slice(18, 40)
      if (body.length > 8) expect((err as Error).message.toUpperCase()).not.toContain(body.toUpperCase())
    }
  })
})

describe('redaction', () => {
  it('never shows secret material', async () => {
    const secret = exportIdentity(id)
    const seedHex = toHex(SEED)
    const seedWords = secret.slice(18, 60).toLowerCase()
    const views = [
      String(id),
      `${id}`,
      id.toString(),
      JSON.stringify(id),
      JSON.stringify({ nested: [id] }),
      inspect(id),
      inspect(id, { showHidden: true, depth: 10, customInspect: false }),
      inspect({ id }, { depth: 5 }),
      Object.keys(id).join(','),
      JSON.stringify(Object.entries(id)),
      JSON.stringify(Object.getOwnPropertyNames(id)),
      JSON.stringify(structuredClone(id)),
      inspect(structuredClone(id), { depth: 5 }),
    ]
    for (const v of views) {
      expect(v).not.toContain(seedHex)
      expect(v.toLowerCase()).not.toContain(seedWords)
      expect(v.toLowerCase()).not.toContain('secret-key')
    }
    expect(String(id)).toBe(`Identity(keyId=${id.keyId})`)
    expect(inspect(id)).toBe(`Identity(keyId=${id.keyId})`)
    expect(JSON.parse(JSON.stringify(id))).toEqual({ type: 'Identity', keyId: id.keyId, publicKey: id.publicKey })
    expect(Object.keys(id).sort()).toEqual(['keyId', 'publicKey', 'publicKeyObject'])
    // No method hands out secrets: every own and prototype member is known.
    expect(Object.getOwnPropertyNames(Identity.prototype).sort()).toEqual(
      ['constructor', 'decapsulate', 'fingerprint', 'sign', 'signNote', 'toJSON', 'toString'].sort(),
    )
  })

  it('is frozen, and cannot be constructed or forged from outside', () => {
    expect(Object.isFrozen(id)).toBe(true)
    const Ctor = Identity as unknown as new (t: symbol, s: Uint8Array) => Identity
    expect(() => new Ctor(Symbol('arrowseal.Identity'), SEED)).toThrow(TypeError)
    const fake = Object.create(Identity.prototype) as Identity
    expect(() => exportIdentity(fake)).toThrow(TypeError)
  })

  it('fingerprint is a copy', () => {
    const fp = id.fingerprint
    fp.fill(0)
    expect(toHex(id.fingerprint)).toBe(GOLDEN.fingerprint)
  })
})

describe('public keys', () => {
  it('parses to the same key, cached, and re-encodes canonically', () => {
    const pk = parsePublicKey(id.publicKey)
    expect(pk).toBeInstanceOf(PublicKey)
    expect(pk.text).toBe(id.publicKey)
    expect(pk.keyId).toBe(id.keyId)
    expect(pk.fingerprint).toEqual(id.fingerprint)
    expect(pk.equals(id.publicKeyObject)).toBe(true)
    expect(parsePublicKey(id.publicKey)).toBe(pk)
    expect(parsePublicKey(id.publicKey.toUpperCase()).text).toBe(id.publicKey)
    expect(pk.bytes).toHaveLength(3201)
    expect(concatBytes(new Uint8Array([1]), pk.xwing, pk.ed25519, pk.mldsa65)).toEqual(pk.bytes)
    expect([pk.xwing.length, pk.ed25519.length, pk.mldsa65.length]).toEqual([1216, 32, 1952])
    expect(publicKeyFromBytes(pk.bytes).text).toBe(pk.text)
    expect(String(pk)).toBe(pk.text)
    expect(JSON.stringify({ pk })).toBe(JSON.stringify({ pk: pk.text }))
    expect(inspect(pk)).toBe(`PublicKey(keyId=${pk.keyId})`)
    expect(Object.isFrozen(pk)).toBe(true)
  })

  it('hands out copies, so the shared cache cannot be poisoned', () => {
    const pk = parsePublicKey(id.publicKey)
    pk.xwing.fill(0)
    pk.bytes.fill(0)
    pk.ed25519.fill(0)
    pk.mldsa65.fill(0)
    pk.fingerprint.fill(0)
    expect(parsePublicKey(id.publicKey).bytes).toEqual(id.publicKeyObject.bytes)
    expect(toHex(parsePublicKey(id.publicKey).fingerprint)).toBe(GOLDEN.fingerprint)
  })

  it('bounds the parse cache', async () => {
    const { _publicKeyCacheSize } = await import('../../src/keys/public-key.js')
    const payload = id.publicKeyObject.bytes
    // Same key in upper and lower case is two cache entries; fill with distinct texts made from one key.
    for (let i = 0; i < 270; i++) {
      const p = payload.slice()
      p[1 + 1184] = i & 0xff // vary the X25519 share's first byte: still a valid point almost always
      p[1 + 1185] = (i >> 8) + 9
      try {
        parsePublicKey(bech32Encode('aseal', p))
      } catch {
        // a low-order share is rejected; irrelevant here
      }
    }
    expect(_publicKeyCacheSize()).toBeLessThanOrEqual(256)
    expect(_publicKeyCacheSize()).toBeGreaterThan(200)
  })

  const payload = () => identityFromSeed(SEED).publicKeyObject.bytes
  const reject = (text: string, re: RegExp) => {
    let err: unknown
    try {
      parsePublicKey(text)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(KeyError)
    expect((err as Error).message).toMatch(re)
    expect((err as Error).message.startsWith('public key:')).toBe(true)
    if (text.length > 20) expect((err as Error).message).not.toContain(text.slice(6, 30))
  }

  it('rejects wrong prefix, checksum, case, version and length', () => {
    const good = id.publicKey
    reject(exportIdentity(id), /wrong prefix; expected it to start with "aseal1"/)
    reject(`asea${good.slice(5)}`, /prefix/)
    reject(good.slice(0, -1) + (good.endsWith('q') ? 'p' : 'q'), /checksum/)
    reject(good.slice(0, 100) + good.slice(100).toUpperCase(), /mixes upper and lower/)
    reject(good.slice(0, -7), /checksum/)
    const p = payload()
    reject(bech32Encode('aseal', concatBytes(new Uint8Array([0]), p.subarray(1))), /unsupported version 0/)
    reject(bech32Encode('aseal', concatBytes(new Uint8Array([2]), p.subarray(1))), /unsupported version 2/)
    reject(bech32Encode('aseal', p.subarray(0, 3200)), /3200 bytes, expected 3201/)
    reject(bech32Encode('aseal', concatBytes(p, new Uint8Array(1))), /3202 bytes, expected 3201/)
    reject(bech32Encode('aseal', new Uint8Array(0)), /empty/)
    reject('', /missing prefix/)
    reject('aseal1', /too short/)
    reject(`aseal1${'q'.repeat(20000)}`, /limit/)
  })

  it('rejects invalid components', () => {
    const p = payload()
    const bad1 = p.slice()
    bad1[1] = 0xff
    bad1[2] = 0x0f // first ML-KEM coefficient 0xfff >= q
    reject(bech32Encode('aseal', bad1), /ML-KEM-768\) key fails the modulus check/)
    const bad2 = p.slice()
    bad2.fill(0, 1 + 1184, 1 + 1216) // X25519 u = 0, low order
    reject(bech32Encode('aseal', bad2), /X25519\) key is a low-order point/)
    const bad3 = p.slice()
    bad3.set(
      new Uint8Array(32).fill(0xff).map((v, i) => (i === 31 ? 0x7f : v)),
      1 + 1216,
    ) // y = 2^255-1 >= p
    reject(bech32Encode('aseal', bad3), /Ed25519 key is not a valid curve point/)
    const bad4 = p.slice()
    bad4.set(
      new Uint8Array(32).map((_, i) => (i === 0 ? 1 : 0)),
      1 + 1216,
    ) // identity point: small order
    reject(bech32Encode('aseal', bad4), /Ed25519 key is not a valid curve point/)
    // Control: the untouched payload parses.
    expect(publicKeyFromBytes(p).keyId).toBe(GOLDEN.keyId)
    expect(() => publicKeyFromBytes(bad1)).toThrow(KeyError)
  })

  it('decodes bech32 of a public key to the same payload', () => {
    expect(bech32Decode(id.publicKey, 'aseal')).toEqual(payload())
  })
})

describe('argument types', () => {
  it('every entry point throws TypeError on wrong types', async () => {
    for (const v of NOT_STRING) {
      expect(() => parsePublicKey(v as string), label(v)).toThrow(TypeError)
      await expect(importIdentity(v as string), label(v)).rejects.toThrow(TypeError)
    }
    for (const v of NOT_BYTES) {
      expect(() => publicKeyFromBytes(v as Uint8Array), label(v)).toThrow(TypeError)
      expect(() => identityFromSeed(v as Uint8Array), label(v)).toThrow(TypeError)
    }
    for (const v of TYPE_TEST) {
      expect(() => exportIdentity(v as Identity), label(v)).toThrow(TypeError)
      expect(() => id.publicKeyObject.equals(v as PublicKey), label(v)).toThrow(TypeError)
    }
    expect(() => identityFromSeed(new Uint8Array(31))).toThrow(RangeError)
    expect(() => identityFromSeed(new Uint8Array(33))).toThrow(RangeError)
  })
})
