import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { utf8ToBytes } from '@noble/hashes/utils.js'
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { AUTH_FAILED_MESSAGE, AuthError, FormatError, KeyError } from '../../src/errors.js'
import {
  type Decapsulator,
  HPKE_AES_256_GCM,
  type HpkeAead,
  hpkeNonce,
  hpkeSuiteId,
  type Identity,
  identityFromSeed,
  setupBaseR,
  setupBaseS,
} from '../../src/keys/index.js'
import { nobleX25519, type X25519 } from '../../src/keys/xwing.js'
import { hex, label, NOT_BYTES, NOT_OPTIONAL_BYTES, TYPE_TEST, toHex, vectors } from './helpers.js'

interface HpkeVector {
  mode: number
  kem_id: number
  kdf_id: number
  aead_id: number
  info: string
  ikmE: string
  skRm: string
  pkRm: string
  enc: string
  shared_secret: string
  suite_id: string
  key: string
  base_nonce: string
  exporter_secret: string
  encryptions: { aad: string; ct: string; nonce: string; pt: string }[]
  exports: { exporter_context: string; L: number; exported_value: string }[]
}

// The draft's X-Wing vectors use ChaCha20-Poly1305 (aead_id 3); the key schedule does not depend on it beyond
// the suite id and Nk/Nn, so an injected ChaCha AEAD checks ours byte for byte.
const CHACHA: HpkeAead = {
  id: 0x0003,
  keyLength: 32,
  nonceLength: 12,
  tagLength: 16,
  seal: (k, n, a, p) => chacha20poly1305(k, n, a).encrypt(p),
  open: (k, n, a, c) => chacha20poly1305(k, n, a).decrypt(c),
}

// A bare X-Wing decapsulator around a raw seed, standing in for an Identity in the draft's vectors.
const rawDecapsulator = (sk: Uint8Array): Decapsulator => ({
  decapsulate: (enc) => ml_kem768_x25519.decapsulate(enc, sk),
})

describe('HPKE-PQ draft vectors, kem_id 0x647a (X-Wing), HKDF-SHA256', () => {
  const all = vectors<HpkeVector[]>('hpke-pq-draft-ietf-hpke-pq.json')
  const xs = all.filter((v) => v.kem_id === 0x647a && v.kdf_id === 0x0001)
  it('has the X-Wing + HKDF-SHA256 vector (the SHAKE256 one-stage KDF vector is out of scope)', () => {
    expect(xs.length).toBe(1)
    expect(all.filter((v) => v.kem_id === 0x647a).length).toBe(2)
  })
  for (const v of xs) {
    it('suite id, enc, shared secret, key schedule, every encryption and export', () => {
      expect(v.mode).toBe(0)
      expect(toHex(hpkeSuiteId(v.aead_id))).toBe(v.suite_id)
      const kp = ml_kem768_x25519.keygen(hex(v.skRm))
      expect(toHex(kp.publicKey)).toBe(v.pkRm)
      expect(toHex(ml_kem768_x25519.decapsulate(hex(v.enc), hex(v.skRm)))).toBe(v.shared_secret)

      const s = setupBaseS(hex(v.pkRm), hex(v.info), { eseed: hex(v.ikmE), aead: CHACHA })
      expect(toHex(s.enc)).toBe(v.enc)
      const r = setupBaseR(rawDecapsulator(hex(v.skRm)), hex(v.enc), hex(v.info), { aead: CHACHA })
      // Key and base nonce, observed through the AEAD: seq 0 must use exactly (key, base_nonce).
      const first = v.encryptions[0]
      if (first === undefined) throw new Error('no encryptions')
      expect(first.nonce).toBe(v.base_nonce)
      expect(toHex(CHACHA.seal(hex(v.key), hex(v.base_nonce), hex(first.aad), hex(first.pt)))).toBe(first.ct)
      for (const [seq, e] of v.encryptions.entries()) {
        expect(toHex(hpkeNonce(hex(v.base_nonce), seq))).toBe(e.nonce)
        expect(toHex(s.seal(hex(e.aad), hex(e.pt))), `seal ${seq}`).toBe(e.ct)
        expect(toHex(r.open(hex(e.aad), hex(e.ct))), `open ${seq}`).toBe(e.pt)
      }
      for (const e of v.exports) {
        expect(toHex(s.export(hex(e.exporter_context), e.L))).toBe(e.exported_value)
        expect(toHex(r.export(hex(e.exporter_context), e.L))).toBe(e.exported_value)
      }
    })
  }
})

describe('HPKE with an Identity, AES-256-GCM', () => {
  let alice: Identity
  let bob: Identity
  const info = new TextEncoder().encode('arrowseal test info')
  const aad = new Uint8Array([1, 2, 3])
  const pt = new TextEncoder().encode('group keys')
  beforeAll(() => {
    alice = identityFromSeed(new Uint8Array(32).fill(1))
    bob = identityFromSeed(new Uint8Array(32).fill(2))
  })

  const expectAuthFailed = (fn: () => unknown) => {
    let err: unknown
    try {
      fn()
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(AuthError)
    expect((err as AuthError).code).toBe('AUTH_FAILED')
    expect((err as Error).message).toBe(AUTH_FAILED_MESSAGE)
  }

  it('round-trips, with matching exports, and uses suite 0x647a/0x0001/0x0002', () => {
    expect(toHex(hpkeSuiteId(HPKE_AES_256_GCM.id))).toBe('48504b45647a00010002')
    const s = setupBaseS(alice.publicKeyObject, info)
    expect(s.enc).toHaveLength(1120)
    const ct = s.seal(aad, pt)
    expect(ct).toHaveLength(pt.length + 16)
    const r = setupBaseR(alice, s.enc, info)
    expect(r.open(aad, ct)).toEqual(pt)
    expect(r.export(new Uint8Array([7]), 32)).toEqual(s.export(new Uint8Array([7]), 32))
    expect(s.export(new Uint8Array([7]), 32)).not.toEqual(s.export(new Uint8Array([8]), 32))
    expect(alice.decapsulate(s.enc)).toHaveLength(32)
  })

  it('agrees with noble ml_kem768_x25519 (the expanded-key X-Wing is byte-identical) and uses the injected X25519', () => {
    const xwingSeed = hkdf(
      sha256,
      new Uint8Array(32).fill(1),
      new Uint8Array(0),
      utf8ToBytes('arrowseal/v1 identity xwing'),
      32,
    )
    for (let i = 0; i < 3; i++) {
      const { cipherText, sharedSecret } = ml_kem768_x25519.encapsulate(alice.publicKeyObject.xwing)
      expect(alice.decapsulate(cipherText)).toEqual(sharedSecret)
      const s = setupBaseS(alice.publicKeyObject, info)
      expect(ml_kem768_x25519.decapsulate(s.enc, xwingSeed)).toEqual(alice.decapsulate(s.enc))
    }
    let calls = 0
    const counting: X25519 = {
      name: 'counting',
      scalarMultBase: (k) => {
        calls++
        return nobleX25519.scalarMultBase(k)
      },
      scalarMult: (k, u) => {
        calls++
        return nobleX25519.scalarMult(k, u)
      },
    }
    const s = setupBaseS(alice.publicKeyObject, info, { x25519: counting })
    expect(calls).toBe(2) // ephemeral public share + shared secret
    const r = setupBaseR(alice, s.enc, info, { x25519: counting })
    expect(calls).toBe(3)
    expect(r.open(aad, s.seal(aad, pt))).toEqual(pt)
    expect(() => setupBaseS(alice.publicKeyObject, info, { x25519: {} as X25519 })).toThrow(TypeError)
  })

  it('is deterministic given eseed (golden-file friendly) and fresh otherwise', () => {
    const eseed = new Uint8Array(64).fill(5)
    const a = setupBaseS(alice.publicKeyObject, info, { eseed })
    const b = setupBaseS(alice.publicKeyObject.xwing, info, { eseed })
    expect(a.enc).toEqual(b.enc)
    expect(a.seal(aad, pt)).toEqual(b.seal(aad, pt))
    expect(setupBaseS(alice.publicKeyObject, info).enc).not.toEqual(setupBaseS(alice.publicKeyObject, info).enc)
  })

  it('fails closed with one AuthError on any tampering', () => {
    const s = setupBaseS(alice.publicKeyObject, info)
    const ct = s.seal(aad, pt)
    expectAuthFailed(() => setupBaseR(bob, s.enc, info).open(aad, ct)) // wrong recipient
    expectAuthFailed(() => setupBaseR(alice, s.enc, new Uint8Array([9])).open(aad, ct)) // wrong info
    expectAuthFailed(() => setupBaseR(alice, s.enc, info).open(new Uint8Array([1, 2]), ct)) // wrong aad
    const flipped = ct.slice()
    flipped[0] = (flipped[0] as number) ^ 1
    expectAuthFailed(() => setupBaseR(alice, s.enc, info).open(aad, flipped))
    expectAuthFailed(() => setupBaseR(alice, s.enc, info).open(aad, ct.subarray(0, 15))) // shorter than a tag
    const enc = s.enc.slice()
    enc[10] = (enc[10] as number) ^ 1 // ML-KEM implicit rejection: a different shared secret
    expectAuthFailed(() => setupBaseR(alice, enc, info).open(aad, ct))
    const lowOrder = s.enc.slice()
    lowOrder.fill(0, 1088) // X25519 share u = 0: noble's decapsulation throws
    expectAuthFailed(() => setupBaseR(alice, lowOrder, info))
  })

  it('checks the enc length before any cryptography', () => {
    let calls = 0
    const spy: Decapsulator = {
      decapsulate: (e) => {
        calls++
        return alice.decapsulate(e)
      },
    }
    for (const n of [0, 32, 1119, 1121, 2240]) {
      expect(() => setupBaseR(spy, new Uint8Array(n), info)).toThrow(FormatError)
    }
    expect(calls).toBe(0)
    const s = setupBaseS(alice.publicKeyObject, info)
    setupBaseR(spy, s.enc, info)
    expect(calls).toBe(1)
  })

  it('follows RFC 9180 sequence numbers: in order, and a failed open does not advance', () => {
    const s = setupBaseS(alice.publicKeyObject, info)
    const c0 = s.seal(aad, pt)
    const c1 = s.seal(aad, pt)
    expect(c0).not.toEqual(c1) // fresh nonce per message
    const r = setupBaseR(alice, s.enc, info)
    expectAuthFailed(() => r.open(aad, c1)) // out of order
    expect(r.open(aad, c0)).toEqual(pt)
    expect(r.open(aad, c1)).toEqual(pt)
    expectAuthFailed(() => r.open(aad, c1)) // replay
  })

  it('computes nonces for large sequence numbers', () => {
    const base = hex('000102030405060708090a0b')
    expect(toHex(hpkeNonce(base, 0))).toBe('000102030405060708090a0b')
    expect(toHex(hpkeNonce(base, 258))).toBe('000102030405060708090b09')
    expect(toHex(hpkeNonce(new Uint8Array(12), 2 ** 40 + 1))).toBe('000000000000010000000001')
    expect(toHex(hpkeNonce(new Uint8Array(12), Number.MAX_SAFE_INTEGER))).toBe('00000000001fffffffffffff')
    expect(() => hpkeNonce(base, -1)).toThrow(RangeError)
    expect(() => hpkeNonce(base, 1.5)).toThrow(RangeError)
  })

  it('rejects a raw recipient key that X-Wing refuses with KeyError', () => {
    const bad = new Uint8Array(1216).fill(0xff)
    expect(() => setupBaseS(bad, info)).toThrow(KeyError)
  })

  it('rejects wrong argument types with TypeError', () => {
    const s = setupBaseS(alice.publicKeyObject, info)
    const r = setupBaseR(alice, s.enc, info)
    for (const v of NOT_BYTES) {
      expect(() => setupBaseS(v as Uint8Array, info), label(v)).toThrow(TypeError)
      expect(() => setupBaseS(alice.publicKeyObject, v as Uint8Array), label(v)).toThrow(TypeError)
      expect(() => setupBaseR(alice, v as Uint8Array, info), label(v)).toThrow(TypeError)
      expect(() => setupBaseR(alice, s.enc, v as Uint8Array), label(v)).toThrow(TypeError)
      expect(() => s.seal(v as Uint8Array, pt), label(v)).toThrow(TypeError)
      expect(() => s.seal(aad, v as Uint8Array), label(v)).toThrow(TypeError)
      expect(() => r.open(v as Uint8Array, pt), label(v)).toThrow(TypeError)
      expect(() => r.open(aad, v as Uint8Array), label(v)).toThrow(TypeError)
      expect(() => s.export(v as Uint8Array, 32), label(v)).toThrow(TypeError)
      expect(() => alice.decapsulate(v as Uint8Array), label(v)).toThrow(TypeError)
    }
    for (const v of NOT_OPTIONAL_BYTES) {
      expect(() => setupBaseS(alice.publicKeyObject, info, { eseed: v as Uint8Array }), label(v)).toThrow(TypeError)
    }
    for (const v of TYPE_TEST) {
      expect(() => setupBaseR(v as Identity, s.enc, info), label(v)).toThrow(TypeError)
      if (typeof v !== 'number') expect(() => s.export(new Uint8Array(0), v as number), label(v)).toThrow(TypeError)
      if (v !== undefined && (typeof v !== 'object' || v === null)) {
        expect(() => setupBaseS(alice.publicKeyObject, info, v as object), label(v)).toThrow(TypeError)
      }
    }
    for (const n of [0, -1, 1.5, Number.NaN, 255 * 32 + 1])
      expect(() => s.export(new Uint8Array(0), n)).toThrow(RangeError)
    expect(() => setupBaseS(new Uint8Array(1215), info)).toThrow(RangeError)
    expect(() => setupBaseS(alice.publicKeyObject, new Uint8Array(1025))).toThrow(RangeError)
    expect(() => setupBaseS(alice.publicKeyObject, info, { eseed: new Uint8Array(32) })).toThrow(RangeError)
    expect(() => alice.decapsulate(new Uint8Array(1119))).toThrow(RangeError)
  })
})
