/**
 * Public vectors for the primitives the key layer relies on: X-Wing (draft-connolly-cfrg-xwing-kem), Wycheproof
 * Ed25519, ML-DSA-65 (verify), HKDF-SHA256 and X25519. Sources: test/vectors/README.md.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js'
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { describe, expect, it } from 'vitest'
import { isLowOrderX25519 } from '../../src/keys/public-key.js'
import { hex, toHex, vectors, type Wycheproof, xwingVectors } from './helpers.js'

interface WTest {
  tcId: number
  comment: string
  flags: string[]
  result: 'valid' | 'invalid' | 'acceptable'
}

describe('X-Wing draft vectors (ml_kem768_x25519)', () => {
  const xv = xwingVectors()
  it('has the vectors', () => expect(xv.length).toBe(3))
  for (const [i, v] of xv.entries()) {
    it(`vector ${i}: seed → pk, eseed → ct/ss, decapsulate`, () => {
      const { publicKey, secretKey } = ml_kem768_x25519.keygen(hex(v.seed))
      expect(toHex(secretKey)).toBe(v.sk) // the secret key is the 32-byte seed
      expect(toHex(publicKey)).toBe(v.pk)
      const { cipherText, sharedSecret } = ml_kem768_x25519.encapsulate(hex(v.pk), hex(v.eseed))
      expect(toHex(cipherText)).toBe(v.ct)
      expect(toHex(sharedSecret)).toBe(v.ss)
      expect(toHex(ml_kem768_x25519.decapsulate(hex(v.ct), hex(v.sk)))).toBe(v.ss)
      // Lengths our format relies on.
      expect([publicKey.length, cipherText.length, sharedSecret.length]).toEqual([1216, 1120, 32])
    })
  }
})

describe('Wycheproof Ed25519 (strict RFC 8032 verify, as hybridVerify uses it)', () => {
  interface G {
    publicKey: { pk: string }
    tests: (WTest & { msg: string; sig: string })[]
  }
  const file = vectors<Wycheproof<G>>('wycheproof-ed25519_test.json')
  it('every case', () => {
    let n = 0
    for (const g of file.testGroups) {
      for (const t of g.tests) {
        const sig = hex(t.sig)
        // noble throws on a wrong-length signature (caller misuse); hybridVerify checks lengths first.
        const ok = sig.length === 64 && ed25519.verify(sig, hex(t.msg), hex(g.publicKey.pk), { zip215: false })
        expect(ok, `tcId ${t.tcId} ${t.comment}`).toBe(t.result === 'valid')
        n++
      }
    }
    expect(n).toBe(file.numberOfTests)
  })
})

describe('Wycheproof ML-DSA-65 verify', () => {
  interface G {
    publicKey: string
    tests: (WTest & { msg: string; sig: string; ctx?: string })[]
  }
  const file = vectors<Wycheproof<G>>('wycheproof-mldsa_65_verify_test.json')
  it('every case', () => {
    let n = 0
    for (const g of file.testGroups) {
      const pk = hex(g.publicKey)
      for (const t of g.tests) {
        let ok: boolean
        try {
          const opts = t.ctx === undefined ? {} : { context: hex(t.ctx) }
          ok = ml_dsa65.verify(hex(t.sig), hex(t.msg), pk, opts)
        } catch {
          // Wrong key/signature lengths and over-long contexts are argument errors in noble: not valid.
          ok = false
        }
        expect(ok, `tcId ${t.tcId} ${t.comment} ${t.flags}`).toBe(t.result === 'valid')
        n++
      }
    }
    expect(n).toBe(file.numberOfTests)
  })
})

describe('Wycheproof HKDF-SHA256 (the HKDF of sub-seeds and HPKE)', () => {
  interface G {
    tests: (WTest & { ikm: string; salt: string; info: string; size: number; okm: string })[]
  }
  const file = vectors<Wycheproof<G>>('wycheproof-hkdf_sha256_test.json')
  it('every case', () => {
    let n = 0
    for (const g of file.testGroups) {
      for (const t of g.tests) {
        if (t.result === 'valid') {
          expect(toHex(hkdf(sha256, hex(t.ikm), hex(t.salt), hex(t.info), t.size)), `tcId ${t.tcId}`).toBe(t.okm)
        } else {
          expect(() => hkdf(sha256, hex(t.ikm), hex(t.salt), hex(t.info), t.size), `tcId ${t.tcId}`).toThrow()
        }
        n++
      }
    }
    expect(n).toBe(file.numberOfTests)
  })
  it('an empty salt equals no salt (the sub-seed derivation relies on this reading of RFC 5869)', () => {
    const ikm = new Uint8Array(32).fill(9)
    expect(hkdf(sha256, ikm, new Uint8Array(0), undefined, 32)).toEqual(hkdf(sha256, ikm, undefined, undefined, 32))
  })
})

describe('Wycheproof X25519 (the X25519 inside X-Wing)', () => {
  interface G {
    tests: (WTest & { public: string; private: string; shared: string })[]
  }
  const file = vectors<Wycheproof<G>>('wycheproof-x25519_test.json')
  it('every case agrees; all-zero shared secrets are refused by noble', () => {
    let n = 0
    let zero = 0
    for (const g of file.testGroups) {
      for (const t of g.tests) {
        const pub = hex(t.public)
        if (/^0+$/.test(t.shared)) {
          // RFC 7748 §6.1 allows checking for the all-zero output; noble does and throws. X-Wing's draft does
          // not require the check, so this is stricter than the draft, which is safe: such a share only arises
          // from a malicious peer, and HPKE maps the throw to AuthError / KeyError.
          expect(() => x25519.getSharedSecret(hex(t.private), pub), `tcId ${t.tcId}`).toThrow()
          expect(isLowOrderX25519(pub), `tcId ${t.tcId} blocklist`).toBe(true)
          zero++
        } else {
          expect(toHex(x25519.getSharedSecret(hex(t.private), pub)), `tcId ${t.tcId} ${t.comment}`).toBe(t.shared)
          expect(isLowOrderX25519(pub), `tcId ${t.tcId} blocklist`).toBe(false)
        }
        n++
      }
    }
    expect(n).toBe(file.numberOfTests)
    expect(zero).toBeGreaterThan(0)
  })

  it('the low-order blocklist equals "all-zero output under a clamped probe scalar"', () => {
    const probe = new Uint8Array(32).fill(0x55)
    const candidates: Uint8Array[] = []
    for (const g of file.testGroups) for (const t of g.tests) candidates.push(hex(t.public))
    for (let i = 0; i < 64; i++) candidates.push(crypto.getRandomValues(new Uint8Array(32)))
    for (const u of candidates) {
      let zero: boolean
      try {
        zero = x25519.getSharedSecret(probe, u).every((b) => b === 0)
      } catch {
        zero = true
      }
      expect(isLowOrderX25519(u), toHex(u)).toBe(zero)
    }
  })
})
