/**
 * node:crypto Ed25519 must be interchangeable with the noble Ed25519 that hybrid signatures use: the same
 * signatures (Ed25519 is deterministic), the same public keys, and the same strict verdict on every Wycheproof
 * case (non-canonical S, R and A encodings, small-order points, wrong lengths).
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { describe, expect, it } from 'vitest'
import { nodeEd25519 } from '../../src/node/ed25519.js'
import { hex, vectors, type Wycheproof } from '../keys/helpers.js'

interface G {
  publicKey: { pk: string }
  tests: { tcId: number; comment: string; msg: string; sig: string; result: string }[]
}
const file = vectors<Wycheproof<G>>('wycheproof-ed25519_test.json')

describe('node:crypto Ed25519', () => {
  it('agrees with Wycheproof and with noble strict verification on every case', () => {
    let n = 0
    for (const g of file.testGroups) {
      const pk = hex(g.publicKey.pk)
      for (const t of g.tests) {
        const sig = hex(t.sig)
        const msg = hex(t.msg)
        const noble = sig.length === 64 && ed25519.verify(sig, msg, pk, { zip215: false })
        const node = nodeEd25519.verify(sig, msg, pk)
        expect(node, `tcId ${t.tcId} ${t.comment}`).toBe(t.result === 'valid')
        expect(node, `tcId ${t.tcId} vs noble`).toBe(noble)
        n++
      }
    }
    expect(n).toBe(file.numberOfTests)
  })

  it('makes the same public keys and signatures as noble', () => {
    for (let i = 0; i < 32; i++) {
      const seed = crypto.getRandomValues(new Uint8Array(32))
      const msg = crypto.getRandomValues(new Uint8Array(i * 37))
      expect(nodeEd25519.publicKey(seed)).toEqual(ed25519.getPublicKey(seed))
      expect(nodeEd25519.sign(seed, msg)).toEqual(ed25519.sign(msg, seed))
    }
  })

  it('refuses wrong lengths', () => {
    expect(() => nodeEd25519.sign(new Uint8Array(31), new Uint8Array(1))).toThrow(RangeError)
    expect(nodeEd25519.verify(new Uint8Array(63), new Uint8Array(1), new Uint8Array(32))).toBe(false)
  })
})
