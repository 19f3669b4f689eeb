/**
 * Raw X25519 / Ed25519 private-key import on node:crypto, the defect of issue 12: Node 24 refuses the
 * placeholder-`x` JWK that Node 20 and 22 accept, which broke every seal on Node 24. The importer must pick a
 * method the running Node accepts and that yields the same public keys as noble.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { importOkpPrivate, okpImportMethod, okpPublicBytes } from '../../src/node/okp-key.js'
import { nodeX25519 } from '../../src/node/x25519.js'

const major = Number(process.versions.node.split('.')[0])
const seed = fc.uint8Array({ minLength: 32, maxLength: 32 })

describe('raw OKP private-key import', () => {
  it('uses the direct raw import where Node has it, else the JWK, never the slow DER on Node 20', () => {
    const expected = major >= 24 ? 'raw-private' : 'jwk'
    expect(okpImportMethod('X25519')).toBe(expected)
    expect(okpImportMethod('Ed25519')).toBe(expected)
  })

  it('derives the same public keys as noble for any key (X25519 and Ed25519)', () => {
    fc.assert(
      fc.property(seed, (s) => {
        expect(okpPublicBytes(importOkpPrivate(s, 'X25519'))).toEqual(x25519.getPublicKey(s))
        expect(okpPublicBytes(importOkpPrivate(s, 'Ed25519'))).toEqual(ed25519.getPublicKey(s))
      }),
      { numRuns: 50 },
    )
  })

  it('works from a view into a larger buffer (only the 32 viewed bytes are the key)', () => {
    const big = crypto.getRandomValues(new Uint8Array(96))
    const view = big.subarray(32, 64)
    expect(nodeX25519.scalarMultBase(view)).toEqual(x25519.getPublicKey(view.slice()))
  })

  it('X25519 agreement from an imported key matches noble (the path X-Wing encapsulation takes)', () => {
    fc.assert(
      fc.property(seed, seed, (a, b) => {
        const pubB = x25519.getPublicKey(b)
        expect(nodeX25519.scalarMult(a, pubB)).toEqual(x25519.getSharedSecret(a, pubB))
      }),
      { numRuns: 30 },
    )
  })
})
