import { ed25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js'
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { KeyError } from '../../src/errors.js'
import { hybridVerify, type Identity, identityFromSeed, signedMessage } from '../../src/keys/index.js'
import { counterRng, label, NOT_BYTES, NOT_STRING, TYPE_TEST, toHex } from './helpers.js'

const ED_L = 2n ** 252n + 27742317777372353535851937790883648493n
const leToBig = (b: Uint8Array) => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n)
const bigToLe = (n: bigint) => new Uint8Array(32).map((_, i) => Number((n >> BigInt(8 * i)) & 0xffn))

let writer: Identity
let other: Identity
const msg = utf8ToBytes('header bytes')
beforeAll(() => {
  writer = identityFromSeed(new Uint8Array(32).fill(7))
  other = identityFromSeed(new Uint8Array(32).fill(8))
})

describe('hybrid signatures', () => {
  it('signs M\' = "arrowseal/v1 sig " ‖ label ‖ 0x00 ‖ message with Ed25519 ‖ ML-DSA-65', () => {
    const sig = writer.sign('header', msg)
    expect(sig).toHaveLength(64 + 3309)
    const m = concatBytes(utf8ToBytes('arrowseal/v1 sig header'), new Uint8Array([0]), msg)
    expect(signedMessage('header', msg)).toEqual(m)
    const pk = writer.publicKeyObject
    // Each half verifies on its own with the raw primitives (ML-DSA with an empty context).
    expect(ed25519.verify(sig.subarray(0, 64), m, pk.ed25519, { zip215: false })).toBe(true)
    expect(ml_dsa65.verify(sig.subarray(64), m, pk.mldsa65)).toBe(true)
    expect(ml_dsa65.verify(sig.subarray(64), m, pk.mldsa65, { context: new Uint8Array([1]) })).toBe(false)
    expect(hybridVerify(pk, 'header', msg, sig)).toBe(true)
    expect(hybridVerify(writer.publicKey, 'header', msg, sig)).toBe(true)
  })

  it('is deterministic with an rng (golden files), hedged without', () => {
    const a = writer.sign('header', msg, counterRng(1))
    const b = writer.sign('header', msg, counterRng(1))
    expect(a).toEqual(b)
    expect(writer.sign('header', msg, counterRng(2))).not.toEqual(a)
    const c = writer.sign('header', msg)
    const d = writer.sign('header', msg)
    expect(c.subarray(0, 64)).toEqual(d.subarray(0, 64)) // Ed25519 is deterministic
    expect(c.subarray(64)).not.toEqual(d.subarray(64)) // ML-DSA is hedged
    expect(hybridVerify(writer.publicKeyObject, 'header', msg, a)).toBe(true)
    // The rng really is ML-DSA's rnd: signing with noble's extraEntropy over M' gives the same bytes.
    const mldsaSeed = hkdf(
      sha256,
      new Uint8Array(32).fill(7),
      new Uint8Array(0),
      utf8ToBytes('arrowseal/v1 identity ml-dsa-65'),
      32,
    )
    const { secretKey } = ml_dsa65.keygen(mldsaSeed)
    const raw = ml_dsa65.sign(signedMessage('header', msg), secretKey, { extraEntropy: counterRng(1)(32) })
    expect(toHex(a.subarray(64))).toBe(toHex(raw))
  })

  it('fails if either half is wrong, swapped or zeroed', () => {
    const pk = writer.publicKeyObject
    const sig = writer.sign('header', msg)
    const otherSig = other.sign('header', msg)
    const otherMsgSig = writer.sign('header', utf8ToBytes('other message'))
    const variants: [string, Uint8Array][] = [
      ['ed25519 half zeroed', concatBytes(new Uint8Array(64), sig.subarray(64))],
      ['ml-dsa half zeroed', concatBytes(sig.subarray(0, 64), new Uint8Array(3309))],
      ['ed25519 half from another key', concatBytes(otherSig.subarray(0, 64), sig.subarray(64))],
      ['ml-dsa half from another key', concatBytes(sig.subarray(0, 64), otherSig.subarray(64))],
      ['ed25519 half for another message', concatBytes(otherMsgSig.subarray(0, 64), sig.subarray(64))],
      ['ml-dsa half for another message', concatBytes(sig.subarray(0, 64), otherMsgSig.subarray(64))],
      ['halves in the wrong order', concatBytes(sig.subarray(3309), sig.subarray(0, 3309))],
      ['one byte short', sig.subarray(0, sig.length - 1)],
      ['one byte extra', concatBytes(sig, new Uint8Array(1))],
      ['ed25519 only', sig.subarray(0, 64)],
      ['ml-dsa only', sig.subarray(64)],
      ['empty', new Uint8Array(0)],
      [
        'last byte flipped',
        (() => {
          const s = sig.slice()
          s[s.length - 1] = (s[s.length - 1] as number) ^ 1
          return s
        })(),
      ],
      [
        'first byte flipped',
        (() => {
          const s = sig.slice()
          s[0] = (s[0] as number) ^ 1
          return s
        })(),
      ],
    ]
    for (const [name, s] of variants) expect(hybridVerify(pk, 'header', msg, s), name).toBe(false)
    expect(hybridVerify(pk, 'header', msg, sig)).toBe(true) // control
    // Malleability: S + L in the Ed25519 half is rejected (strict RFC 8032 verification).
    const mall = sig.slice()
    mall.set(bigToLe(leToBig(sig.subarray(32, 64)) + ED_L), 32)
    expect(hybridVerify(pk, 'header', msg, mall)).toBe(false)
  })

  it('verifies Ed25519 strictly: a signature valid only under ZIP-215 rules is rejected', () => {
    // Craft an Ed25519 signature with nonce r = 0, so R is the identity point, and encode R non-canonically
    // (y = 1 with the sign bit set, x = 0): ZIP-215 accepts that encoding, RFC 8032 strict decoding does not.
    const seed = hkdf(
      sha256,
      new Uint8Array(32).fill(7),
      new Uint8Array(0),
      utf8ToBytes('arrowseal/v1 identity ed25519'),
      32,
    )
    const h = sha512(seed)
    h[0] = (h[0] as number) & 248
    h[31] = ((h[31] as number) & 127) | 64
    const a = leToBig(h.subarray(0, 32))
    const A = writer.publicKeyObject.ed25519
    const m = signedMessage('header', msg)
    const Renc = new Uint8Array(32)
    Renc[0] = 1
    Renc[31] = 0x80
    const k = leToBig(sha512(concatBytes(Renc, A, m))) % ED_L
    const S = (k * a) % ED_L
    const edSig = concatBytes(Renc, bigToLe(S))
    expect(ed25519.verify(edSig, m, A, { zip215: true })).toBe(true) // the crafted signature is ZIP-215 valid
    expect(ed25519.verify(edSig, m, A, { zip215: false })).toBe(false)
    const good = writer.sign('header', msg)
    expect(hybridVerify(writer.publicKeyObject, 'header', msg, concatBytes(edSig, good.subarray(64)))).toBe(false)
    expect(hybridVerify(writer.publicKeyObject, 'header', msg, good)).toBe(true)
  })

  it('binds the label, the message and the key', () => {
    const sig = writer.sign('header', msg)
    expect(hybridVerify(writer.publicKeyObject, 'checkpoint', msg, sig)).toBe(false)
    expect(hybridVerify(writer.publicKeyObject, 'header', utf8ToBytes('header byteS'), sig)).toBe(false)
    expect(hybridVerify(other.publicKeyObject, 'header', msg, sig)).toBe(false)
    // (label, message) → M' is injective: labels cannot contain NUL, so "a" + "\0b…" never equals "a\0b" + "…".
    expect(() => writer.sign('a\u0000b', msg)).toThrow(RangeError)
    expect(() => hybridVerify(writer.publicKeyObject, 'a\u0000b', msg, sig)).toThrow(RangeError)
  })

  it('validates labels', () => {
    for (const bad of ['', ' header', 'héader', 'a\nb', 'x'.repeat(65), 'a\u0000']) {
      expect(() => writer.sign(bad, msg), JSON.stringify(bad)).toThrow(RangeError)
      expect(() => signedMessage(bad, msg)).toThrow(RangeError)
    }
    expect(writer.sign('x'.repeat(64), msg)).toHaveLength(3373)
  })

  it('rejects wrong argument types with TypeError', () => {
    const sig = writer.sign('header', msg)
    const pk = writer.publicKeyObject
    for (const v of NOT_STRING) {
      expect(() => writer.sign(v as string, msg), label(v)).toThrow(TypeError)
      expect(() => hybridVerify(pk, v as string, msg, sig), label(v)).toThrow(TypeError)
      expect(() => hybridVerify(v as string, 'header', msg, sig), label(v)).toThrow(TypeError)
    }
    for (const v of NOT_BYTES) {
      expect(() => writer.sign('header', v as Uint8Array), label(v)).toThrow(TypeError)
      expect(() => hybridVerify(pk, 'header', v as Uint8Array, sig), label(v)).toThrow(TypeError)
      expect(() => hybridVerify(pk, 'header', msg, v as Uint8Array), label(v)).toThrow(TypeError)
    }
    for (const v of TYPE_TEST) {
      if (v === undefined) continue
      if (typeof v === 'function') {
        // A function returning the wrong thing is caught too.
        expect(() => writer.sign('header', msg, () => 'nope' as unknown as Uint8Array)).toThrow(TypeError)
        continue
      }
      expect(() => writer.sign('header', msg, v as (n: number) => Uint8Array), label(v)).toThrow(TypeError)
    }
    expect(() => writer.sign('header', msg, () => new Uint8Array(31))).toThrow(RangeError)
    expect(() => hybridVerify('aseal1bad', 'header', msg, sig)).toThrow(KeyError)
  })
})
