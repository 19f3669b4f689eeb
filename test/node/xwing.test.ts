/**
 * X-Wing with an injected X25519: the draft's vectors must come out byte-identical with the noble and the
 * node:crypto implementation, and both X25519 implementations must agree with Wycheproof on every case
 * (non-canonical, twist and small-order points included).
 */
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js'
import { describe, expect, it } from 'vitest'
import {
  nobleX25519,
  prepareXWingPublicKey,
  type X25519,
  xwingDecapsulate,
  xwingEncapsulate,
  xwingKeygen,
} from '../../src/keys/xwing.js'
import { nodeX25519 } from '../../src/node/x25519.js'
import { hex, toHex, vectors, type Wycheproof, xwingVectors } from '../keys/helpers.js'

interface X25519Test {
  tcId: number
  public: string
  private: string
  shared: string
}

const impls: [string, X25519][] = [
  ['noble', nobleX25519],
  ['node', nodeX25519],
]
const xv = xwingVectors()
const wp = vectors<Wycheproof<{ tests: X25519Test[] }>>('wycheproof-x25519_test.json')

describe.each(impls)('X-Wing draft vectors with %s X25519', (_name, x) => {
  it('has the three vectors', () => expect(xv.length).toBe(3))
  for (const [i, v] of xv.entries()) {
    it(`vector ${i}: keygen, encapsulate, decapsulate (twice: keys are not consumed)`, () => {
      const { publicKey, secretKey } = xwingKeygen(hex(v.seed), x)
      expect(toHex(publicKey)).toBe(v.pk)
      const prepared = prepareXWingPublicKey(hex(v.pk))
      const { cipherText, sharedSecret } = xwingEncapsulate(prepared, hex(v.eseed), x)
      expect(toHex(cipherText)).toBe(v.ct)
      expect(toHex(sharedSecret)).toBe(v.ss)
      expect(toHex(xwingDecapsulate(hex(v.ct), secretKey, x))).toBe(v.ss)
      expect(toHex(xwingDecapsulate(hex(v.ct), secretKey, x))).toBe(v.ss)
    })
  }

  it('matches noble ml_kem768_x25519 on random keys and randomness, and a wrong ciphertext gives another secret', () => {
    for (let i = 0; i < 5; i++) {
      const seed = crypto.getRandomValues(new Uint8Array(32))
      const eseed = crypto.getRandomValues(new Uint8Array(64))
      const ref = ml_kem768_x25519.keygen(seed)
      const ours = xwingKeygen(seed, x)
      expect(ours.publicKey).toEqual(ref.publicKey)
      const a = ml_kem768_x25519.encapsulate(ref.publicKey, eseed)
      const b = xwingEncapsulate(prepareXWingPublicKey(ref.publicKey), eseed, x)
      expect(b).toEqual(a)
      const fresh = xwingEncapsulate(prepareXWingPublicKey(ref.publicKey), undefined, x)
      expect(xwingDecapsulate(fresh.cipherText, ours.secretKey, x)).toEqual(fresh.sharedSecret)
      const bad = fresh.cipherText.slice()
      bad[5]! ^= 1
      expect(xwingDecapsulate(bad, ours.secretKey, x)).not.toEqual(fresh.sharedSecret)
    }
  })

  it('refuses a small-order X25519 share in the ciphertext (all-zero X25519 output)', () => {
    const { secretKey } = xwingKeygen(new Uint8Array(32).fill(3), x)
    const ct = new Uint8Array(1120) // X25519 part u = 0
    expect(() => xwingDecapsulate(ct, secretKey, x)).toThrow(/small-order/)
    ct[1088] = 1 // u = 1
    expect(() => xwingDecapsulate(ct, secretKey, x)).toThrow(/small-order/)
  })

  it('refuses wrong lengths', () => {
    const { secretKey } = xwingKeygen(new Uint8Array(32).fill(3), x)
    expect(() => xwingDecapsulate(new Uint8Array(1119), secretKey, x)).toThrow(RangeError)
    expect(() => xwingKeygen(new Uint8Array(31), x)).toThrow(RangeError)
    expect(() => prepareXWingPublicKey(new Uint8Array(1215))).toThrow(RangeError)
  })
})

describe('node X25519 ephemeral agreement (fresh X-Wing encapsulations)', () => {
  const ephemeral = nodeX25519.ephemeral!
  it('gives the share of a fresh secret and the product with u: the owner of u computes the same secret', () => {
    for (let i = 0; i < 8; i++) {
      const r = crypto.getRandomValues(new Uint8Array(32))
      const { share, shared } = ephemeral(nobleX25519.scalarMultBase(r))
      expect(nobleX25519.scalarMult(r, share)).toEqual(shared)
      expect(ephemeral(nobleX25519.scalarMultBase(r)).share).not.toEqual(share)
    }
  })

  it('refuses a small-order u (all-zero result) and a wrong length, like scalarMult', () => {
    const u = new Uint8Array(32)
    expect(() => ephemeral(u)).toThrow(/small-order/)
    u[0] = 1
    expect(() => ephemeral(u)).toThrow(/small-order/)
    expect(() => ephemeral(new Uint8Array(31))).toThrow(RangeError)
  })
})

describe('Wycheproof X25519: node and noble agree on every case', () => {
  it('every case: same shared secret, or both refuse an all-zero result', () => {
    let n = 0
    for (const g of wp.testGroups) {
      for (const t of g.tests) {
        const priv = hex(t.private)
        const pub = hex(t.public)
        for (const [name, x] of impls) {
          if (/^0+$/.test(t.shared)) expect(() => x.scalarMult(priv, pub), `${name} tcId ${t.tcId}`).toThrow()
          else expect(toHex(x.scalarMult(priv, pub)), `${name} tcId ${t.tcId}`).toBe(t.shared)
        }
        n++
      }
    }
    expect(n).toBe(wp.numberOfTests)
  })

  it('same public keys from random scalars (clamping is the same)', () => {
    for (let i = 0; i < 32; i++) {
      const s = crypto.getRandomValues(new Uint8Array(32))
      expect(nodeX25519.scalarMultBase(s)).toEqual(nobleX25519.scalarMultBase(s))
    }
  })
})
