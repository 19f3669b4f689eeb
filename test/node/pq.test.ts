/**
 * Native ML-DSA-65 / ML-KEM-768 / X-Wing (src/node/pq.ts) against noble and the public vectors: same seeds give
 * the same public keys; signatures and encapsulations made by either verify / decapsulate with the other; the
 * X-Wing draft's vectors decapsulate; Wycheproof ML-DSA-65 verdicts agree. Runs where the runtime has the
 * native algorithms (Node 24 in CI); elsewhere it checks that auto-detection falls back to noble.
 */
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ArrowSealError } from '../../src/errors.js'
import { prepareXWingPublicKey, xwingDecapsulate, xwingEncapsulate, xwingKeygen } from '../../src/keys/xwing.js'
import { nativePostQuantum, pqBackendName } from '../../src/node/pq.js'
import { hex, vectors, type Wycheproof, xwingVectors } from '../keys/helpers.js'

const major = Number(process.versions.node.split('.')[0])
const pq = nativePostQuantum('auto')
const seed32 = fc.uint8Array({ minLength: 32, maxLength: 32 })
const msg = fc.uint8Array({ maxLength: 200 })

describe('post-quantum backend selection', () => {
  it('is native exactly where node:crypto has ML-DSA-65 and ML-KEM-768 (Node 24), noble elsewhere', () => {
    expect(pqBackendName('auto')).toBe(major >= 24 ? 'native' : 'noble')
    expect(pqBackendName('noble')).toBe('noble')
  })

  it('forcing native where it is missing, or an unknown choice, is a typed error', () => {
    expect(() => nativePostQuantum('openssl')).toThrow(ArrowSealError)
    if (major < 24) expect(() => nativePostQuantum('native')).toThrow(/no native ML-DSA-65/)
  })
})

describe.skipIf(pq === undefined)('native post-quantum = noble', () => {
  const n = pq as NonNullable<typeof pq>

  it('ML-DSA-65: same public key from the same seed; signatures verify across backends', () => {
    fc.assert(
      fc.property(seed32, msg, (xi, m) => {
        const noble = ml_dsa65.keygen(xi)
        const key = n.mldsaKey(xi)
        expect(n.mldsaPublicKey(key)).toEqual(noble.publicKey)
        const nativeSig = n.mldsaSign(key, m)
        expect(ml_dsa65.verify(nativeSig, m, noble.publicKey)).toBe(true)
        const nobleSig = ml_dsa65.sign(m, noble.secretKey)
        expect(n.mldsaVerify(nobleSig, m, noble.publicKey)).toBe(true)
        const bad = nobleSig.slice()
        bad[100] = (bad[100] ?? 0) ^ 1
        expect(n.mldsaVerify(bad, m, noble.publicKey)).toBe(false)
      }),
      { numRuns: 8 },
    )
  })

  it('ML-DSA-65 with a context (signed notes): native signatures verify with noble under that context only', () => {
    const ctx = new TextEncoder().encode('arrowseal note')
    fc.assert(
      fc.property(seed32, msg, (xi, m) => {
        const noble = ml_dsa65.keygen(xi)
        const sig = n.mldsaSignWithContext(n.mldsaKey(xi), m, ctx)
        // Node 24.22 takes the option; a runtime without it must say so (undefined), not sign without context.
        expect(sig).toBeDefined()
        expect(ml_dsa65.verify(sig!, m, noble.publicKey, { context: ctx })).toBe(true)
        expect(ml_dsa65.verify(sig!, m, noble.publicKey)).toBe(false)
      }),
      { numRuns: 4 },
    )
  })

  it('ML-DSA-65: every Wycheproof verify case without a context gets the expected verdict', () => {
    interface G {
      publicKey: string
      tests: { tcId: number; msg: string; sig: string; result: string; ctx?: string }[]
    }
    const file = vectors<Wycheproof<G>>('wycheproof-mldsa_65_verify_test.json')
    let count = 0
    for (const g of file.testGroups) {
      for (const t of g.tests) {
        if (t.ctx !== undefined && t.ctx !== '') continue
        expect(n.mldsaVerify(hex(t.sig), hex(t.msg), hex(g.publicKey)), `tcId ${t.tcId}`).toBe(t.result === 'valid')
        count++
      }
    }
    expect(count).toBeGreaterThan(150)
  })

  it('X-Wing: the draft vectors give the same public key and decapsulate to the same shared secret', () => {
    for (const v of xwingVectors()) {
      const secret = n.xwingKeygen(hex(v.seed))
      expect(secret.publicKey).toEqual(hex(v.pk))
      expect(n.xwingDecapsulate(hex(v.ct), secret)).toEqual(hex(v.ss))
    }
  })

  it('X-Wing: native encapsulation decapsulates with noble and the other way round', () => {
    fc.assert(
      fc.property(seed32, (seed) => {
        const noble = xwingKeygen(seed)
        const native = n.xwingKeygen(seed)
        expect(native.publicKey).toEqual(noble.publicKey)
        const a = n.xwingEncapsulate(native.publicKey)
        expect(xwingDecapsulate(a.cipherText, noble.secretKey)).toEqual(a.sharedSecret)
        const b = xwingEncapsulate(prepareXWingPublicKey(noble.publicKey))
        expect(n.xwingDecapsulate(b.cipherText, native)).toEqual(b.sharedSecret)
      }),
      { numRuns: 10 },
    )
  })

  it('X-Wing: an ML-KEM key failing the FIPS 203 modulus check is refused by native encapsulation', () => {
    const { publicKey } = n.xwingKeygen(new Uint8Array(32))
    const bad = publicKey.slice()
    bad[0] = 0xff
    bad[1] = (bad[1] ?? 0) | 0x0f // first 12-bit coefficient = 4095 ≥ q
    expect(() => n.xwingEncapsulate(bad)).toThrow()
  })
})
