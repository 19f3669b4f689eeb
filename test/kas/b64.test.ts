/**
 * The two base64url codecs (the core's portable one, src/kas/protocol.ts, and the gateway's on Buffer,
 * src/kas/node/b64.ts) accept exactly the canonical unpadded base64url texts and agree on the bytes: property
 * tests against a reference built on Buffer's encoder (decode, then require the re-encoding to be the same text).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromB64u as nodeFrom, b64u as nodeTo } from '../../src/kas/node/b64.js'
import { b64u, fromB64u } from '../../src/kas/protocol.js'

const reference = (t: string): Buffer | null => {
  if (!/^[A-Za-z0-9_-]*$/.test(t) || t.length % 4 === 1) return null
  const b = Buffer.from(t, 'base64url')
  return b.toString('base64url') === t ? b : null
}
const text = fc.string({
  unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ '.split('')),
  maxLength: 12,
})

describe('base64url codecs', () => {
  it('accept the canonical texts only (non-canonical last character, padding, other alphabets refused)', () => {
    fc.assert(
      fc.property(text, (t) => {
        const want = reference(t)
        for (const got of [fromB64u(t), nodeFrom(t)]) {
          if (want === null) expect(got).toBeNull()
          else expect(Buffer.from(got!).equals(want)).toBe(true)
        }
      }),
      { numRuns: 20_000 },
    )
    expect(fromB64u('_x')).toBeNull() // same bytes as '_w', trailing bits set
    expect(nodeFrom('_x')).toBeNull()
    expect(fromB64u('_w')).toEqual(new Uint8Array([255]))
  })

  it('round-trip bytes, and both encoders give the same text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (u) => {
        expect(nodeTo(u)).toBe(b64u(u))
        expect(fromB64u(b64u(u))).toEqual(u)
        expect(new Uint8Array(nodeFrom(nodeTo(u))!)).toEqual(u)
      }),
    )
  })
})
